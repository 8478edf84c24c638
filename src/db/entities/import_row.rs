use sea_orm::entity::prelude::*;

/// One checked row of an import's file: what it asks for, what the preview
/// found it to be, and (after the confirm) what became of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_rows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub import_id: String,
    /// The row's place in the file, from 0.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// The file's line the row starts on, from 1 (the header).
    pub line: i64,
    pub student_id: Option<i64>,
    pub version: Option<i64>,
    /// The file's values: canonical when the row is valid, as read (cut
    /// short, NUL shown as ␀) when it is not.
    pub name: String,
    pub address: String,
    pub gpa: String,
    /// The GPA of a row valid when its file was checked, as students and
    /// revisions keep it; `None` for a row whose values broke the rules (a
    /// row found invalid later, as a duplicate, may keep it; it is never
    /// read for an invalid row).
    pub gpa_hundredths: Option<i16>,
    /// The file's student number: `None` when the file has no such column
    /// (the row leaves the number as it is), `""` for none.
    pub student_number: Option<String>,
    /// The file's hold (`true`/`false`): `None` when the file has no such
    /// column (the row leaves it as it is).
    pub confidential: Option<String>,
    pub outcome: RowOutcome,
    /// An invalid row's problems, one `field<TAB>message` per line.
    pub messages: Option<String>,
    pub result: Option<RowResult>,
    /// The record's version after a write, or when it was refused.
    pub result_version: Option<i64>,
}

/// What a row would do, as the preview classifies it (contract §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum RowOutcome {
    #[sea_orm(string_value = "create")]
    Create,
    #[sea_orm(string_value = "update")]
    Update,
    #[sea_orm(string_value = "unchanged")]
    Unchanged,
    #[sea_orm(string_value = "conflict")]
    Conflict,
    #[sea_orm(string_value = "deleted")]
    Deleted,
    #[sea_orm(string_value = "unknown")]
    Unknown,
    #[sea_orm(string_value = "invalid")]
    Invalid,
}

/// What the confirm did with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum RowResult {
    /// Created or updated, with an `imported` revision.
    #[sea_orm(string_value = "written")]
    Written,
    /// Nothing to write: its values were already there, or are those of
    /// its version.
    #[sea_orm(string_value = "unchanged")]
    Unchanged,
    /// Stale or deleted when its batch locked it: kept as a conflict entry.
    #[sea_orm(string_value = "refused")]
    Refused,
    /// All or nothing: clean, but not written because another row was not.
    #[sea_orm(string_value = "held")]
    Held,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
