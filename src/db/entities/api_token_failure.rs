use sea_orm::entity::prelude::*;

/// A wrong API token, counted by client address to throttle guessing (the
/// API's own counter: the sign-in page's is [`super::login_failure`]).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_token_failures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_addr: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
