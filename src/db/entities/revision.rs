use sea_orm::entity::prelude::*;

/// One committed change of a student: the values after it (for a delete,
/// the last values), who made it and when. Never edited or removed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub student_id: i64,
    pub version: i64,
    pub action: String,
    pub name: String,
    pub address: String,
    pub gpa_hundredths: i16,
    pub registrar: String,
    pub at: DateTimeUtc,
    /// Why the registrar made the change, when they said.
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
