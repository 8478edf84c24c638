use sea_orm::entity::prelude::*;

/// An import as the office's change log shows it: one entry for every row
/// it wrote (each also a revision naming the import). Written by each of
/// the import's batches, in the batch's transaction, and kept for good
/// (the import's own rows are swept a week after it finished).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub import_id: String,
    pub registrar: String,
    pub filename: String,
    /// The id of its first revision: with `at`, its place in the log.
    pub first_revision: i64,
    /// When its first revision was written.
    pub at: DateTimeUtc,
    /// The revisions it wrote.
    pub rows: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
