use sea_orm::entity::prelude::*;

/// A signed-in browser. The cookie holds a random token; only its SHA-256
/// is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub registrar_id: i64,
    pub csrf_token: String,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    /// The absolute end of the session, however active it is.
    pub expires_at: DateTimeUtc,
    /// The client's address when the session began (as the throttle counts it).
    pub client_addr: Option<String>,
    /// The browser's `User-Agent`, cut to 200 characters.
    pub user_agent: Option<String>,
    /// Began with the university's identity provider (contract §14):
    /// signing out ends the provider's session too.
    pub began_at_provider: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::registrar::Entity",
        from = "Column::RegistrarId",
        to = "super::registrar::Column::Id"
    )]
    Registrar,
}

impl Related<super::registrar::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Registrar.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
