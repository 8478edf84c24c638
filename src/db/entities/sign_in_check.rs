use sea_orm::entity::prelude::*;

/// A password check in flight for a sign-in (or a password change): the
/// throttle lets no more run at once than there are failures left to allow.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_checks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username_key: String,
    pub client_addr: String,
    pub started_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
