use sea_orm::entity::prelude::*;

/// An uploaded CSV file, checked row by row (its rows are in
/// [`super::import_row`]), and the job that confirms it: its state lives
/// here so that any instance can show it or take it over.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub registrar: String,
    pub filename: String,
    /// Rows of the file (blank lines not counted).
    pub rows: i64,
    pub created_at: DateTimeUtc,
    pub state: ImportState,
    pub all_or_nothing: bool,
    /// While running: the instance working on it renews this after every
    /// batch; once it has passed, any instance may take the job over.
    pub lease_until: Option<DateTimeUtc>,
    pub written: i64,
    pub refused: i64,
    /// Why a failed job failed, in words for the registrar.
    pub failure: Option<String>,
    pub finished_at: Option<DateTimeUtc>,
}

/// Where an import is: rows being stored, waiting for the confirm, being
/// written, finished, or stopped for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ImportState {
    #[sea_orm(string_value = "checking")]
    Checking,
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "done")]
    Done,
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
