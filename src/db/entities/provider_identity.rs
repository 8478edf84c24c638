use sea_orm::entity::prelude::*;

/// The university identity an account signs in with (contract §14): the
/// provider's `iss` and `sub`, unique as a pair, one per account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_identities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub registrar_id: i64,
    pub issuer: String,
    pub subject: String,
    pub linked_at: DateTimeUtc,
    /// Who linked it: the first sign-in, or the admin who linked it.
    pub linked_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
