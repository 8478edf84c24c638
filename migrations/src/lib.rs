//! Schema migrations for registrar, one file per migration.
//!
//! Every migration must be correct on SQLite, PostgreSQL and MySQL/MariaDB:
//! see [`columns`] for the column types that differ between them.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod columns;
pub mod indexes;
mod m20261125_000001_create_students;
mod m20261125_000002_create_accounts;
mod m20261125_000003_scale;
mod m20261201_000004_history;
mod m20261201_000004_office;
mod m20261202_000005_submissions;
mod m20261202_000006_import_rows;
mod m20261202_000007_import_rows_room;
mod m20261203_000008_search_table;
mod m20261207_000009_conflict_refused;
mod m20261207_000010_import_row_values;
mod m20261207_000011_kept_forms;
pub mod m20261207_000012_student_numbers;
mod m20261207_000013_change_log;
mod m20261207_000014_confidential;
mod m20261207_000015_revision_chain;
mod m20261207_000016_access_log;
mod m20261207_000017_api_tokens;
mod m20261207_000018_change_feed;
mod m20261207_000019_idempotency_keys;
mod m20261207_000020_provider_identities;
mod m20261207_000021_two_factor;
mod m20261208_000022_student_trigrams;
mod m20261208_000023_live_search_sqlite;

/// Applies registrar's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_students::Migration),
            Box::new(m20261125_000002_create_accounts::Migration),
            Box::new(m20261125_000003_scale::Migration),
            Box::new(m20261201_000004_history::Migration),
            Box::new(m20261201_000004_office::Migration),
            Box::new(m20261202_000005_submissions::Migration),
            Box::new(m20261202_000006_import_rows::Migration),
            Box::new(m20261202_000007_import_rows_room::Migration),
            Box::new(m20261203_000008_search_table::Migration),
            Box::new(m20261207_000009_conflict_refused::Migration),
            Box::new(m20261207_000010_import_row_values::Migration),
            Box::new(m20261207_000011_kept_forms::Migration),
            Box::new(m20261207_000012_student_numbers::Migration),
            Box::new(m20261207_000013_change_log::Migration),
            Box::new(m20261207_000014_confidential::Migration),
            Box::new(m20261207_000015_revision_chain::Migration),
            Box::new(m20261207_000016_access_log::Migration),
            Box::new(m20261207_000017_api_tokens::Migration),
            Box::new(m20261207_000018_change_feed::Migration),
            Box::new(m20261207_000019_idempotency_keys::Migration),
            Box::new(m20261207_000020_provider_identities::Migration),
            Box::new(m20261207_000021_two_factor::Migration),
            Box::new(m20261208_000022_student_trigrams::Migration),
            Box::new(m20261208_000023_live_search_sqlite::Migration),
        ]
    }
}
