//! The migration that adds student numbers and folds the search keys
//! (`m20261207_000012_student_numbers`) upgrades a populated database of
//! the previous release on every backend: every student (over several of
//! its batches) gets §12's folded key and no number, the new search finds
//! them, numbers are unique from then on, and down gives back the old keys.

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::db::entities::student;
use registrar::students::list::{self, query::ListQuery};
use registrar::testing::Backend;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder};

use crate::on_every_backend;
use crate::upgrades::{database_before, down_past};

on_every_backend!(the_student_numbers_migration_upgrades_a_populated_database);

/// More students than one batch of the migration rewrites.
const STUDENTS: usize = 1_234;

fn name_of(i: usize) -> String {
    match i % 3 {
        0 => format!("José García {i}"),
        1 => format!("ΕΛΈΝΗ {i}"),
        _ => format!("Jürgen Müller {i}"),
    }
}

async fn insert_old_students(db: &DatabaseConnection) {
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 9, 30, 0).unwrap();
    for chunk in (0..STUDENTS).collect::<Vec<_>>().chunks(200) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new("students")).columns(
            [
                "name",
                "address",
                "gpa_hundredths",
                "search_key",
                "version",
                "created_at",
                "updated_at",
                "updated_by",
            ]
            .map(Alias::new),
        );
        for &i in chunk {
            let name = name_of(i);
            let address = "Straße 5, Zürich".to_owned();
            // The previous release's key: lower-cased, a line each.
            let key = format!("{}\n{}", name.to_lowercase(), address.to_lowercase());
            insert.values_panic([
                name.into(),
                address.into(),
                300_i16.into(),
                key.into(),
                1_i64.into(),
                at.into(),
                at.into(),
                "ada".into(),
            ]);
        }
        db.execute(&insert).await.expect("old students");
    }
    db.execute_unprepared(&format!("UPDATE student_count SET live = {STUDENTS}"))
        .await
        .expect("count");
}

async fn found(db: &DatabaseConnection, q: &str) -> u64 {
    let query = ListQuery {
        q: q.to_owned(),
        ..ListQuery::default()
    };
    list::db::list(db, &query, registrar::domain::Disclosure::Full)
        .await
        .expect("the search")
        .total
        .count
}

async fn the_student_numbers_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, "m20261207_000012_student_numbers").await
    else {
        return;
    };
    insert_old_students(&db).await;

    Migrator::up(&db, None).await.expect("the upgrade");

    let students = student::Entity::find()
        .order_by_asc(student::Column::Id)
        .all(&db)
        .await
        .expect("students");
    assert_eq!(students.len(), STUDENTS);
    for student in &students {
        assert_eq!(student.student_number, None);
        assert_eq!(
            student.search_key,
            fold::search_key(&student.name, &student.address, None),
            "student {}",
            student.id
        );
    }
    // §12's search over the upgraded keys, on the backend's own index.
    assert_eq!(found(&db, "garcia").await, STUDENTS.div_ceil(3) as u64);
    assert_eq!(found(&db, "ελενη zurich").await, (STUDENTS / 3) as u64);
    assert_eq!(found(&db, "MULLER STRASSE").await, (STUDENTS / 3) as u64);

    // Numbers are unique from now on, whatever the case they are given in
    // (the app stores them upper-cased).
    let set_number =
        |id: i64| format!("UPDATE students SET student_number = 'S-1' WHERE id = {id}");
    db.execute_unprepared(&set_number(students[0].id))
        .await
        .expect("a first student with S-1");
    let second = db.execute_unprepared(&set_number(students[1].id)).await;
    assert!(second.is_err(), "a second student was given S-1");
    db.execute_unprepared(&format!(
        "UPDATE students SET student_number = NULL WHERE id = {}",
        students[0].id
    ))
    .await
    .expect("the number taken back");

    // Down gives back the previous release's keys, and up folds them again.
    down_past(&db, "m20261207_000012_student_numbers").await;
    let keys: Vec<(i64, String)> = db
        .query_all(
            &Query::select()
                .columns([Alias::new("id"), Alias::new("search_key")])
                .from(Alias::new("students"))
                .to_owned(),
        )
        .await
        .expect("keys")
        .into_iter()
        .map(|row| {
            (
                row.try_get("", "id").unwrap(),
                row.try_get("", "search_key").unwrap(),
            )
        })
        .collect();
    for (id, key) in keys {
        let student = students.iter().find(|s| s.id == id).expect("the student");
        assert_eq!(
            key,
            format!(
                "{}\n{}",
                student.name.to_lowercase(),
                student.address.to_lowercase()
            )
        );
    }
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(found(&db, "garcia").await, STUDENTS.div_ceil(3) as u64);
    db.close().await.expect("close");
}
