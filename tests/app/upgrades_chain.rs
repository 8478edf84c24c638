//! The revision chain migration (`m20261207_000015_revision_chain`)
//! upgrades a populated database of the previous release on every backend:
//! every revision (over more than one of its pages) is hashed as the app
//! hashes, every chain head set, `audit verify` holds; down takes it all
//! away. An ignored test times it at a million revisions.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::audit::Scope;
use registrar::audit::verify::verify;
use registrar::db::entities::{revision, student};
use registrar::testing::{Backend, TestDatabase};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait};

use crate::on_every_backend;
use crate::upgrades::{database_before, down_past};

on_every_backend!(the_chain_migration_upgrades_a_populated_database);

const MIGRATION: &str = "m20261207_000015_revision_chain";

/// More revisions than one page of the migration hashes.
pub(crate) const STUDENTS: i64 = 700;
pub(crate) const VERSIONS: i64 = 3;

/// Students of an earlier release (ids 1 to [`STUDENTS`], even ones
/// numbered `S-{id}`), each with [`VERSIONS`] revisions, written as that
/// release's tables hold them (no column added since migration 12).
pub(crate) async fn insert_old_history(db: &DatabaseConnection) {
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 0).unwrap()
        + chrono::Duration::microseconds(654_321);
    let mut students = Query::insert();
    students.into_table(Alias::new("students")).columns(
        [
            "id",
            "name",
            "address",
            "gpa_hundredths",
            "search_key",
            "student_number",
            "version",
            "created_at",
            "updated_at",
            "updated_by",
        ]
        .map(Alias::new),
    );
    for id in 1..=STUDENTS {
        students.values_panic([
            id.into(),
            format!("José García {id}").into(),
            "Calle Mayor 5\nMadrid".into(),
            300_i16.into(),
            format!("jose garcia {id}").into(),
            (id % 2 == 0).then(|| format!("S-{id}")).into(),
            VERSIONS.into(),
            at.into(),
            at.into(),
            "ada".into(),
        ]);
    }
    db.execute(&students).await.expect("old students");
    for chunk in (1..=STUDENTS).collect::<Vec<_>>().chunks(200) {
        let mut revisions = Query::insert();
        revisions.into_table(Alias::new("revisions")).columns(
            [
                "student_id",
                "version",
                "action",
                "name",
                "address",
                "gpa_hundredths",
                "student_number",
                "registrar",
                "at",
                "reason",
            ]
            .map(Alias::new),
        );
        for &id in chunk {
            for version in 1..=VERSIONS {
                revisions.values_panic([
                    id.into(),
                    version.into(),
                    if version == 1 { "created" } else { "updated" }.into(),
                    format!("José García {id}").into(),
                    "Calle Mayor 5\nMadrid".into(),
                    (297 + version as i16).into(),
                    (id % 2 == 0).then(|| format!("S-{id}")).into(),
                    "ada".into(),
                    (at + chrono::Duration::seconds(version)).into(),
                    (version == 2).then_some("Grade appeal").into(),
                ]);
            }
        }
        db.execute(&revisions).await.expect("old revisions");
    }
}

async fn the_chain_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, MIGRATION).await else {
        return;
    };
    insert_old_history(&db).await;

    Migrator::up(&db, None).await.expect("the upgrade");

    let mut found = Vec::new();
    let tally = verify(&db, Scope::All, None, |b| found.push(b))
        .await
        .expect("verify");
    assert_eq!(found, []);
    assert_eq!(
        (tally.students, tally.revisions),
        (STUDENTS as u64, (STUDENTS * VERSIONS) as u64)
    );
    // Student 2's chain, recomputed here from the values as inserted.
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 0).unwrap()
        + chrono::Duration::microseconds(654_321);
    let mut previous = chain::GENESIS.to_owned();
    for version in 1..=VERSIONS {
        previous = chain::Revision {
            student_id: 2,
            version,
            action: if version == 1 { "created" } else { "updated" },
            name: "José García 2",
            student_number: Some("S-2"),
            address: "Calle Mayor 5\nMadrid",
            gpa_hundredths: 297 + version as i16,
            confidential: false,
            registrar: "ada",
            at: at + chrono::Duration::seconds(version),
            reason: (version == 2).then_some("Grade appeal"),
        }
        .hash(&previous);
    }
    let student = student::Entity::find_by_id(2_i64)
        .one(&db)
        .await
        .unwrap()
        .expect("student 2");
    assert_eq!(student.chain_head, previous);
    let stored = revision::Entity::find().all(&db).await.unwrap();
    assert!(stored.iter().all(|r| r.hash.len() == 64));

    // Down takes the columns and tables away; up again hashes again.
    down_past(&db, MIGRATION).await;
    let gone = db
        .execute_unprepared("SELECT chain_head FROM students")
        .await;
    assert!(gone.is_err(), "chain_head outlived its migration");
    Migrator::up(&db, None).await.expect("up again");
    let student = student::Entity::find_by_id(2_i64)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(student.chain_head, previous);
}

/// How many revisions the timed upgrade hashes (`CHAIN_REVISIONS`, a
/// million by default), ten a student.
fn timed_revisions() -> i64 {
    std::env::var("CHAIN_REVISIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

/// Fills the previous release's schema by bulk SQL: `revisions / 10`
/// students, ten revisions each.
pub(crate) async fn fill_old_schema(db: &DatabaseConnection, revisions: i64) {
    let students = revisions / 10;
    let (numbers, at) = match db.get_database_backend() {
        DbBackend::Postgres => (
            format!("generate_series(1, {students}) AS n(i)"),
            "TIMESTAMPTZ '2026-12-06 09:30:00.123456+00'",
        ),
        _ => (
            format!(
                "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {students}) SELECT i FROM s) AS n"
            ),
            "'2026-12-06T09:30:00.123456+00:00'",
        ),
    };
    db.execute_unprepared(&format!(
        "INSERT INTO students (id, name, address, gpa_hundredths, search_key, version, created_at, updated_at, updated_by) \
         SELECT i, 'Student ' || i, i || ' Main St', 300, 'student ' || i, 10, {at}, {at}, 'ada' FROM {numbers}"
    ))
    .await
    .expect("students");
    db.execute_unprepared(&format!(
        "INSERT INTO revisions (student_id, version, action, name, address, gpa_hundredths, registrar, at) \
         SELECT i, v, CASE WHEN v = 1 THEN 'created' ELSE 'updated' END, 'Student ' || i, i || ' Main St', 290 + v, 'ada', {at} \
         FROM {numbers} CROSS JOIN (SELECT 1 AS v UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 \
         UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10) AS versions"
    ))
    .await
    .expect("revisions");
}

async fn the_chain_migration_at_scale(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let db = registrar::db::connect(&database.url, 4, Duration::from_secs(60))
        .await
        .expect("connect");
    let position = Migrator::migrations()
        .iter()
        .position(|m| m.name() == MIGRATION)
        .unwrap();
    Migrator::up(&db, Some(position as u32)).await.unwrap();
    let revisions = timed_revisions();
    let filling = Instant::now();
    fill_old_schema(&db, revisions).await;
    println!(
        "{}: filled {revisions} revisions in {:.1} s",
        backend.name(),
        filling.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    Migrator::up(&db, None).await.expect("the upgrade");
    println!(
        "{}: the chain migration hashed {revisions} revisions in {:.1} s",
        backend.name(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let tally = verify(&db, Scope::All, None, |b| panic!("{b:?}"))
        .await
        .expect("verify");
    println!(
        "{}: verify (in-process, this build) checked {} revisions in {:.1} s",
        backend.name(),
        tally.revisions,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(tally.revisions as i64, revisions);
    // The command as an auditor runs it, with its peak memory.
    let timed = std::process::Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_registrar"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", &database.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("/usr/bin/time runs registrar");
    assert!(timed.status.success(), "{timed:?}");
    let report = String::from_utf8_lossy(&timed.stderr);
    println!(
        "{}: registrar audit verify: {}{}",
        backend.name(),
        String::from_utf8_lossy(&timed.stdout),
        report
            .lines()
            .filter(|l| l.contains("Elapsed (wall") || l.contains("Maximum resident"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `CHAIN_REVISIONS=1000000 cargo test --test app
/// the_chain_migration_at_scale -- --ignored --nocapture --test-threads 1`:
/// the fill, the migration, an in-process verify, and `registrar audit
/// verify` under `/usr/bin/time -v` (its wall time and peak RSS).
mod the_chain_migration_at_scale {
    use registrar::testing::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a timing: run it by name"]
    async fn sqlite() {
        super::the_chain_migration_at_scale(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a timing: run it by name"]
    async fn postgres() {
        super::the_chain_migration_at_scale(Backend::Postgres).await;
    }
}
