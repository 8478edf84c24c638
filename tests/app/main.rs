//! registrar's integration tests: real HTTP form posts against the app on
//! SQLite, PostgreSQL and MySQL/MariaDB, each test on its own database.
//!
//! Tests are written once as `async fn name(backend: Backend)` and listed
//! in [`on_every_backend!`], which makes one `#[tokio::test]` per backend:
//! `cargo test creates_a_student` runs all three,
//! `cargo test creates_a_student::postgres` one.

// A test's future nests the app's (a request, a job, their transactions)
// deeper than the compiler's default limit when it optimizes
// (`cargo test --release`).
#![recursion_limit = "256"]

mod access_log;
mod access_log_process;
mod accounts;
mod api_conformance;
mod api_idempotency;
mod api_openapi;
mod api_outcome;
mod api_race;
mod api_students;
mod api_tokens;
mod api_tokens_cli;
mod api_tokens_pages;
mod api_tokens_writes;
mod browser;
mod chain;
mod chain_audit;
mod changes;
mod characters;
mod chrome;
mod cli;
mod cluster;
mod concurrency;
mod confidential;
mod conflicts;
mod connections;
mod deleting;
mod ephemeral;
mod error_pages;
mod excel;
mod failures;
mod feed;
mod feed_http;
mod feed_race;
mod fuzz;
mod hardening_accounts;
mod hardening_connections;
mod hardening_imports;
mod history;
mod history_browser;
mod import_browser;
mod import_review;
mod kept;
mod kept_access;
mod kept_browser;
mod metrics;
mod numbers;
mod office_browser;
mod office_cli;
mod oidc_accounts;
mod oidc_browser;
mod oidc_harness;
mod oidc_protocol;
mod presence;
mod process;
mod proxy;
mod raw;
mod requests;
mod resilience;
mod roles;
mod roundtrip;
mod scale;
mod search;
mod search_estimates;
mod search_postings;
mod security;
mod signins;
mod slow_clients;
mod students;
mod submissions;
mod time_zone;
mod two_factor;
mod two_factor_browser;
mod two_factor_rules;
mod upgrade;
mod upgrades;
mod upgrades_access_log;
mod upgrades_api_tokens;
mod upgrades_chain;
mod upgrades_change_log;
mod upgrades_confidential;
mod upgrades_conflicts;
mod upgrades_feed;
mod upgrades_import_rows;
mod upgrades_kept_forms;
mod upgrades_live_search;
mod upgrades_numbers;
mod upgrades_provider_identities;
mod upgrades_trigrams;
mod upgrades_two_factor;

/// Declares, for each listed test function, a module with one test per
/// backend.
#[macro_export]
macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                use registrar::testing::Backend;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$test(Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$test(Backend::Postgres).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn mysql() {
                    super::$test(Backend::MySql).await;
                }
            }
        )*
    };
}

/// Spawns the app on `$backend`, or returns from the test (the harness has
/// said why) when that server is unreachable and not required.
#[macro_export]
macro_rules! spawn_app {
    ($backend:expr) => {
        match registrar::testing::TestApp::spawn($backend).await {
            Some(app) => app,
            None => return,
        }
    };
}

pub mod db_checks {
    //! Checks made behind the app's back, straight on its database.

    use registrar::db::entities::revision::Action;
    use registrar::db::entities::{conflict, revision, student};
    use sea_orm::{
        ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    };

    pub async fn student(db: &DatabaseConnection, id: i64) -> student::Model {
        student::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("student exists")
    }

    pub async fn revisions(db: &DatabaseConnection, id: i64, action: Action) -> u64 {
        revision::Entity::find()
            .filter(revision::Column::StudentId.eq(id))
            .filter(revision::Column::Action.eq(action))
            .count(db)
            .await
            .expect("query")
    }

    pub async fn update_revisions(db: &DatabaseConnection, id: i64) -> Vec<revision::Model> {
        revision::Entity::find()
            .filter(revision::Column::StudentId.eq(id))
            .filter(revision::Column::Action.eq(Action::Updated))
            .all(db)
            .await
            .expect("query")
    }

    pub async fn all_revisions(db: &DatabaseConnection, id: i64) -> u64 {
        revision::Entity::find()
            .filter(revision::Column::StudentId.eq(id))
            .count(db)
            .await
            .expect("query")
    }

    pub async fn conflicts(db: &DatabaseConnection, id: i64) -> Vec<conflict::Model> {
        conflict::Entity::find()
            .filter(conflict::Column::StudentId.eq(id))
            .all(db)
            .await
            .expect("query")
    }

    /// Locks the student's row (on SQLite, the database's write lock) as a
    /// concurrent save would, until the returned transaction ends.
    pub async fn hold_lock(db: &DatabaseConnection, id: i64) -> sea_orm::DatabaseTransaction {
        let holder = registrar::db::begin_write(db)
            .await
            .expect("a write transaction");
        registrar::students::store::lock_for_update(&holder, id)
            .await
            .expect("the row locked");
        holder
    }

    /// The student, or `None` when the database cannot be asked.
    pub async fn try_student(db: &DatabaseConnection, id: i64) -> Option<student::Model> {
        student::Entity::find_by_id(id).one(db).await.ok().flatten()
    }

    /// The id of some student (the only one, in a test that made one);
    /// reads the id alone, so it works on an earlier release's schema.
    pub async fn student_of_any(db: &DatabaseConnection) -> i64 {
        student::Entity::find()
            .select_only()
            .column(student::Column::Id)
            .into_tuple()
            .one(db)
            .await
            .expect("query")
            .expect("a student")
    }

    pub async fn student_count(db: &DatabaseConnection) -> u64 {
        student::Entity::find().count(db).await.expect("query")
    }
}
