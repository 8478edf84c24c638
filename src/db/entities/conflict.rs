use sea_orm::entity::prelude::*;

/// A rejected stale submission, kept so that what a registrar typed
/// survives: no version, no field of the student changes because of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conflicts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub student_id: i64,
    pub attempted: Attempt,
    pub submitted_version: i64,
    pub current_version: i64,
    pub name: Option<String>,
    pub address: Option<String>,
    pub gpa: Option<String>,
    /// As sent: `Some("")` for a blank field.
    pub student_number: Option<String>,
    /// As sent: `true`/`false`, or `None` when not sent.
    pub confidential: Option<String>,
    pub registrar: String,
    pub at: DateTimeUtc,
    /// The reason the refused submission gave, if it keeps to the rules.
    pub reason: Option<String>,
    /// The fields whose submitted values broke the form's rules and were
    /// not kept, space-separated (`name address gpa reason`); `None`: all
    /// kept.
    pub refused: Option<String>,
}

/// What the refused submission tried to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Attempt {
    #[sea_orm(string_value = "update")]
    Update,
    #[sea_orm(string_value = "delete")]
    Delete,
    /// Bringing back an earlier version's values.
    #[sea_orm(string_value = "restore")]
    Restore,
    #[sea_orm(string_value = "undelete")]
    Undelete,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
