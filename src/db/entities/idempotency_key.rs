use sea_orm::entity::prelude::*;

/// An API idempotency key (contract §13): claimed by the first request
/// that sends it, answered once (in the write's own transaction), replayed
/// to every request that sends it again within 24 hours.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    /// SHA-256 of the key, hex.
    pub key_digest: String,
    /// SHA-256 of the request (method, path, `If-Match`, body), hex: the
    /// same key with another request is refused.
    pub fingerprint: String,
    /// The random token of the request answering it now.
    pub claim: String,
    pub claimed_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// The answer, once there is one.
    pub status: Option<i16>,
    pub etag: Option<String>,
    pub location: Option<String>,
    pub body: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
