use sea_orm::entity::prelude::*;

/// A digest `registrar audit digest` took (contract §15): the SHA-256 over
/// every chain's latest revision at `taken_at`, and what it covers. Its
/// cut is in [`super::audit_digest_cut`].
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_digests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub hash: String,
    pub taken_at: DateTimeUtc,
    /// Chains in the cut.
    pub students: i64,
    /// Revisions up to the cut (the sum of its versions).
    pub revisions: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
