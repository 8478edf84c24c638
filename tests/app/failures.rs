//! What database errors mean (contract §10), on the real servers: a
//! deadlock or serialization failure is retried whole by the one wrapper,
//! an unreachable server is "unavailable", a wrong query is neither.

use std::time::Duration;

use registrar::cluster::failure::{self, Failure};
use registrar::cluster::retry;
use registrar::testing::Backend;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    TransactionTrait,
};

use registrar::db::entities::student;
use registrar::students::store;

use crate::{db_checks, on_every_backend, spawn_app};

on_every_backend!(
    crossed_writes_deadlock_and_the_wrapper_commits_each_once,
    an_unreachable_server_and_a_wrong_query_are_told_apart,
);

/// One write: lock `first`, pause, lock `second`, add 1 to both GPAs.
async fn crossed_write(db: &DatabaseConnection, first: i64, second: i64) -> Result<(), DbErr> {
    let txn = registrar::db::begin_write(db).await?;
    store::lock_for_update(&txn, first).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    store::lock_for_update(&txn, second).await?;
    student::Entity::update_many()
        .col_expr(
            student::Column::GpaHundredths,
            Expr::col(student::Column::GpaHundredths).add(1),
        )
        .filter(student::Column::Id.is_in([first, second]))
        .exec(&txn)
        .await?;
    txn.commit().await
}

async fn crossed_writes_deadlock_and_the_wrapper_commits_each_once(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let a = app.create_student(&browser, "Ada", "1 Main St", "1").await;
    let b = app
        .create_student(&browser, "Grace", "2 High St", "1")
        .await;

    // Without the wrapper, one of two crossed writes is the deadlock victim
    // (SQLite queues its writers instead: no victim there).
    let (one, two) = tokio::join!(crossed_write(&app.db, a, b), crossed_write(&app.db, b, a));
    let failures: Vec<Failure> = [one, two]
        .iter()
        .filter_map(|r| r.as_ref().err().map(failure::classify))
        .collect();
    match backend {
        Backend::Sqlite => assert!(failures.is_empty(), "{failures:?}"),
        _ => assert_eq!(failures, [Failure::Retryable], "{}", backend.name()),
    }

    // With it, the victim runs again whole: both commit, each exactly once.
    let before = db_checks::student(&app.db, a).await.gpa_hundredths;
    let retries = retry::counts().retries;
    let (one, two) = tokio::join!(
        retry::write("test", || crossed_write(&app.db, a, b)),
        retry::write("test", || crossed_write(&app.db, b, a)),
    );
    one.expect("the first write commits");
    two.expect("the second write commits");
    for id in [a, b] {
        assert_eq!(
            db_checks::student(&app.db, id).await.gpa_hundredths,
            before + 2,
            "{}: both writes, once each",
            backend.name()
        );
    }
    if backend != Backend::Sqlite {
        assert!(retry::counts().retries > retries, "the victim was retried");
    }
}

async fn an_unreachable_server_and_a_wrong_query_are_told_apart(backend: Backend) {
    let app = spawn_app!(backend);
    let wrong = app
        .db
        .execute_unprepared("SELECT no_such_column FROM students")
        .await
        .expect_err("a wrong query");
    assert_eq!(failure::classify(&wrong), Failure::Other);
    assert_eq!(failure::classify_commit(&wrong), Failure::Other);

    let unreachable_url = match backend {
        Backend::Sqlite => return,
        Backend::Postgres => "postgres://postgres@127.0.0.1:1/test",
        Backend::MySql => "mysql://root@127.0.0.1:1/test",
    };
    let mut options = sea_orm::ConnectOptions::new(unreachable_url);
    options
        .connect_timeout(Duration::from_secs(1))
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy(true);
    let db = sea_orm::Database::connect(options)
        .await
        .expect("a lazy pool");
    let refused = db.begin().await.expect_err("nothing listens there");
    assert_eq!(
        failure::classify(&refused),
        Failure::Unavailable,
        "{refused}"
    );
}
