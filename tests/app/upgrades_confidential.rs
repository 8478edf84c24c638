//! The migration that adds the confidential hold
//! (`m20261207_000014_confidential`) upgrades a populated database of the
//! previous release on every backend: every student and revision is not
//! confidential, the entities read them, a hold can be set, and down and
//! up again keep the rows.

use migrations::{Migrator, MigratorTrait};
use registrar::db::entities::{revision, student};
use registrar::testing::Backend;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder};

use crate::on_every_backend;
use crate::upgrades::{database_before, down_past};
use crate::upgrades_chain::{STUDENTS, VERSIONS, insert_old_history};

on_every_backend!(the_confidential_migration_upgrades_a_populated_database);

const MIGRATION: &str = "m20261207_000014_confidential";

async fn the_confidential_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, MIGRATION).await else {
        return;
    };
    insert_old_history(&db).await;

    Migrator::up(&db, None).await.expect("the upgrade");

    let students = student::Entity::find()
        .order_by_asc(student::Column::Id)
        .all(&db)
        .await
        .expect("students");
    assert_eq!(students.len() as i64, STUDENTS);
    assert!(students.iter().all(|s| !s.confidential));
    let revisions = revision::Entity::find().all(&db).await.expect("revisions");
    assert_eq!(revisions.len() as i64, STUDENTS * VERSIONS);
    assert!(
        revisions
            .iter()
            .all(|r| !r.confidential && (1..=VERSIONS).contains(&r.version))
    );
    assert_eq!(students[1].student_number.as_deref(), Some("S-2"));

    // A hold can be set from now on, and is a boolean on every backend.
    db.execute_unprepared("UPDATE students SET confidential = TRUE WHERE id = 7")
        .await
        .expect("a hold");
    let held = student::Entity::find_by_id(7)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert!(held.confidential);

    // Down drops the column and keeps every row; up adds it again.
    down_past(&db, MIGRATION).await;
    let count = Query::select()
        .expr(sea_orm::sea_query::Func::count(
            sea_orm::sea_query::Expr::col(Alias::new("id")),
        ))
        .from(Alias::new("students"))
        .to_owned();
    let row = db.query_one(&count).await.expect("count").expect("a row");
    let kept: i64 = row.try_get_by_index(0).expect("a count");
    assert_eq!(kept, STUDENTS);
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(
        student::Entity::find().count(&db).await.expect("count"),
        STUDENTS as u64
    );
    db.close().await.expect("close");
}
