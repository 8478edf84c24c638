//! `registrar demo --students N`: realistic, deterministic demo data.
//!
//! The same seed gives the same students on every backend and every run:
//! a small splitmix64 generator drives the choices, and every value goes
//! through the domain rules like a typed one would.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};

use super::store::{self, Action, bulk};
use crate::cluster::retry;
use crate::db::{begin_write, now};
use crate::domain::{Address, Gpa, Name, StudentNumber, StudentValues};

const FIRST: &[&str] = &[
    "Ada", "Alan", "Amara", "Ana", "Andrés", "Anika", "Arjun", "Aurora", "Bea", "Bilal", "Camille",
    "Chen", "Chloé", "Dagny", "Daniel", "Dmitri", "Elena", "Emeka", "Emma", "Farah", "Felix",
    "Fiona", "Grace", "Hana", "Hugo", "Ibrahim", "Ines", "Isaac", "Jamal", "Jana", "Javier", "Jin",
    "Joanna", "José", "Kai", "Karin", "Kofi", "Lara", "Leila", "Liam", "Lucía", "Maya", "Mei",
    "Mateo", "Nadia", "Niamh", "Noah", "Olu", "Omar", "Priya", "Rafael", "Rosa", "Sakura", "Samir",
    "Sofia", "Tariq", "Theo", "Yara", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Abebe",
    "Adeyemi",
    "Ahmed",
    "Andersson",
    "Bakker",
    "Bianchi",
    "Brown",
    "Chen",
    "Costa",
    "Dubois",
    "Dvořák",
    "Evans",
    "Fernández",
    "Fischer",
    "García",
    "Gupta",
    "Haddad",
    "Hansen",
    "Hernández",
    "Ivanova",
    "Jensen",
    "Kaur",
    "Kim",
    "Kowalski",
    "Kumar",
    "Larsen",
    "Lee",
    "Lopez",
    "Martin",
    "Mensah",
    "Moreau",
    "Müller",
    "Murphy",
    "Nakamura",
    "Nguyen",
    "Novak",
    "O'Brien",
    "Okafor",
    "Olsen",
    "Park",
    "Patel",
    "Petrov",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Thompson",
    "Van Dijk",
    "Wang",
    "Williams",
    "Wójcik",
    "Yamamoto",
    "Yilmaz",
    "Zhang",
    "Zielinski",
];
const STREETS: &[&str] = &[
    "Maple",
    "Oak",
    "Cedar",
    "Elm",
    "Willow",
    "Birch",
    "College",
    "University",
    "Library",
    "Chapel",
    "Mill",
    "River",
    "Lake",
    "Hill",
    "Park",
    "Station",
    "Church",
    "Market",
    "Garden",
    "Orchard",
    "Meadow",
    "Bridge",
    "Castle",
    "Harbour",
    "King",
    "Queen",
    "Victoria",
    "Albert",
    "High",
    "North",
];
const KINDS: &[&str] = &[
    "St", "Ave", "Rd", "Lane", "Way", "Court", "Place", "Terrace", "Close", "Row",
];
const CITIES: &[&str] = &[
    "Springfield",
    "Riverside",
    "Fairview",
    "Kingston",
    "Oxford",
    "Cambridge",
    "Bristol",
    "Leeds",
    "Dublin",
    "Galway",
    "Toronto",
    "Halifax",
    "Boston",
    "Madison",
    "Austin",
    "Portland",
    "Lyon",
    "Bologna",
    "Leiden",
    "Uppsala",
    "Kraków",
    "Porto",
    "Sevilla",
    "Graz",
    "Aarhus",
    "Tartu",
];

/// splitmix64: tiny, fast, and the same everywhere.
pub struct Generator {
    state: u64,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator { state: seed }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len() as u64) as usize]
    }

    /// The next student. Values that would break a rule (a name over 30
    /// characters) are shortened, never stored as they are.
    pub fn student(&mut self) -> StudentValues {
        let first = self.pick(FIRST);
        let last = self.pick(LAST);
        let name = if self.below(4) == 0 {
            let initial = (b'A' + self.below(26) as u8) as char;
            format!("{first} {initial}. {last}")
        } else {
            format!("{first} {last}")
        };
        let address = format!(
            "{} {} {}, {}",
            1 + self.below(2_400),
            self.pick(STREETS),
            self.pick(KINDS),
            self.pick(CITIES)
        );
        // Roughly bell-shaped around 2.75, from 1.50 to 4.00.
        let spread = (0..4).map(|_| self.below(101)).sum::<u64>();
        let gpa = u16::try_from(150 + spread * 5 / 8)
            .unwrap_or(400)
            .min(Gpa::MAX_HUNDREDTHS);
        StudentValues {
            name: Name::parse(&name)
                .or_else(|_| Name::parse(&format!("{first} {}", &last[..1])))
                .unwrap_or_else(|_| Name::parse("Student").expect("a valid name")),
            address: Address::parse(&address)
                .unwrap_or_else(|_| Address::parse("1 Main St").expect("a valid address")),
            gpa: Gpa::from_hundredths(gpa)
                .unwrap_or_else(|| Gpa::from_hundredths(300).expect("a valid GPA")),
            number: None,
            // About one in fifty has a directory hold, decided by values
            // already drawn so the rest of the sequence stays as it was.
            confidential: spread % 50 == 7,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already holds {0} students; pass --append to add demo students anyway")]
    NotEmpty(u64),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// What a demo run did.
#[derive(Debug, Clone, Copy)]
pub struct DemoReport {
    pub students: u64,
    pub elapsed: Duration,
}

/// Students per transaction.
const BATCH: usize = 5_000;

/// Fills the database with `count` demo students from `seed`, their
/// revisions attributed to `demo`.
pub async fn fill(
    db: &DatabaseConnection,
    count: u64,
    seed: u64,
    append: bool,
    progress: impl Fn(u64),
) -> Result<DemoReport, DemoError> {
    let existing = store::live_count(db).await?;
    if existing > 0 && !append {
        return Err(DemoError::NotEmpty(existing));
    }
    let started = Instant::now();
    let mut generator = Generator::new(seed);
    let first_number = u64::try_from(store::highest_id(db).await?).unwrap_or(0) + 1;
    let mut written = 0_u64;
    while written < count {
        let batch = usize::try_from((count - written).min(BATCH as u64)).unwrap_or(BATCH);
        let rows: Vec<StudentValues> = (0..batch)
            .map(|i| StudentValues {
                number: demo_number(first_number + written + i as u64),
                ..generator.student()
            })
            .collect();
        let rows = &rows;
        retry::write("demo batch", || async move {
            let txn = begin_write(db).await?;
            bulk::insert(&txn, rows, "demo", Action::Created, now()).await?;
            txn.commit().await
        })
        .await?;
        written += batch as u64;
        progress(written);
    }
    analyze(db).await?;
    Ok(DemoReport {
        students: written,
        elapsed: started.elapsed(),
    })
}

/// The `n`th demo student's number, `D0000042`: above the highest id
/// when the run began, so an appended run never repeats one.
fn demo_number(n: u64) -> Option<StudentNumber> {
    StudentNumber::parse(&format!("D{n:07}")).ok().flatten()
}

/// Fresh planner statistics (and, on PostgreSQL, a visibility map that
/// lets deep pages be counted in the index alone).
pub async fn analyze(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared("VACUUM ANALYZE students").await?;
            db.execute_unprepared("VACUUM ANALYZE revisions").await?;
            db.execute_unprepared("VACUUM ANALYZE students_search")
                .await?;
        }
        DbBackend::MySql => {
            db.execute_unprepared("ANALYZE TABLE students, revisions, student_trigrams")
                .await?;
        }
        _ => {
            db.execute_unprepared("ANALYZE").await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Generator;

    #[test]
    fn the_same_seed_gives_the_same_students() {
        let a: Vec<_> = (0..1000)
            .map({
                let mut g = Generator::new(7);
                move |_| g.student()
            })
            .collect();
        let b: Vec<_> = (0..1000)
            .map({
                let mut g = Generator::new(7);
                move |_| g.student()
            })
            .collect();
        assert_eq!(a, b);
        let c = Generator::new(8).student();
        assert_ne!(a[0], c);
    }

    #[test]
    fn demo_students_are_varied_and_valid() {
        let mut g = Generator::new(1);
        let students: Vec<_> = (0..10_000).map(|_| g.student()).collect();
        let names: std::collections::HashSet<_> =
            students.iter().map(|s| s.name.to_string()).collect();
        assert!(names.len() > 3_000, "{} distinct names", names.len());
        let mean = students
            .iter()
            .map(|s| u64::from(s.gpa.hundredths()))
            .sum::<u64>()
            / 10_000;
        assert!((250..=350).contains(&mean), "mean GPA {mean}");
    }
}
