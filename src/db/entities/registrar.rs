use sea_orm::entity::prelude::*;

/// A registrar account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registrars")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    /// `username` lower-cased; unique.
    pub username_key: String,
    /// Argon2id, PHC string format.
    pub password_hash: String,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
    pub role: crate::domain::Role,
    /// Raised by every change an admin (or the CLI) makes to the account.
    pub version: i64,
    /// Signing in leads to `/account` to choose a new password first.
    pub must_change_password: bool,
    pub last_sign_in_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
