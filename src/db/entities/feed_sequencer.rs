use sea_orm::entity::prelude::*;

/// The change feed's one row (id 1): its epoch, where it stands, and the
/// lease of the one instance that stamps revisions with their positions
/// (`crate::feed`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feed_sequencer")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// Random, set when the feed began; every cursor carries (a digest of)
    /// it, so a cursor of another database is refused.
    pub epoch: String,
    /// The highest revision id when the feed began: revisions up to it are
    /// at the position of their id, never stamped.
    pub baseline: i64,
    /// The highest position stamped (`baseline` before the first stamp).
    pub last_position: i64,
    /// The instance stamping, while its lease lasts.
    pub holder: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
