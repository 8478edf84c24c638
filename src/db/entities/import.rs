use sea_orm::entity::prelude::*;

/// An uploaded CSV file that passed every check, waiting for the registrar
/// to confirm the import after seeing its preview.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub registrar: String,
    pub filename: String,
    pub csv: String,
    pub rows: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
