use sea_orm::entity::prelude::*;

/// A change made to an account: who, what, when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub registrar_id: i64,
    /// The account's version after the change.
    pub version: i64,
    /// The admin's username, or "command line".
    pub actor: String,
    pub action: String,
    pub detail: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
