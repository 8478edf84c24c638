use sea_orm::entity::prelude::*;

/// An account's time-based one-time password (contract §14): turned on
/// when a row exists.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "two_factor_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub registrar_id: i64,
    /// Base32 (RFC 4648, unpadded), as the enrolment page showed it.
    pub secret: String,
    pub enabled_at: DateTimeUtc,
    /// The last 30-second step whose code was accepted: no code of it or
    /// an earlier step is accepted again.
    pub last_step: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
