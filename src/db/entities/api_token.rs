use sea_orm::entity::prelude::*;

/// An account's API token (contract §13). Only the SHA-256 of the token is
/// stored; the token itself is shown once, when it is made.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    /// What its holder calls it ("degree audit nightly").
    pub name: String,
    /// SHA-256 of the token, lowercase hex; unique.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// The most the token may do: it acts with the account's role, capped
    /// by this one (`None`: the account's role, whatever it becomes).
    pub role: Option<crate::domain::Role>,
    pub created_at: DateTimeUtc,
    /// Who made it: the holder's username, or "command line".
    pub created_by: String,
    /// `None`: it never expires.
    pub expires_at: Option<DateTimeUtc>,
    /// A request it was accepted for, noted at most once a minute.
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// Who revoked it: the holder's or an admin's username, or "command
    /// line".
    pub revoked_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::registrar::Entity",
        from = "Column::AccountId",
        to = "super::registrar::Column::Id"
    )]
    Account,
}

impl Related<super::registrar::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
