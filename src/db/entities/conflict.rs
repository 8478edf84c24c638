use sea_orm::entity::prelude::*;

/// A rejected stale submission, kept so that what a registrar typed
/// survives: no version, no field of the student changes because of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conflicts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub student_id: i64,
    /// `update` or `delete`.
    pub attempted: String,
    pub submitted_version: i64,
    pub current_version: i64,
    pub name: Option<String>,
    pub address: Option<String>,
    pub gpa: Option<String>,
    pub registrar: String,
    pub at: DateTimeUtc,
    /// The reason the refused submission gave, as typed.
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
