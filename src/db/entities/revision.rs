use sea_orm::entity::prelude::*;

/// One committed change of a student: the values after it (for a delete,
/// the last values), who made it and when. Never edited or removed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub student_id: i64,
    pub version: i64,
    pub action: Action,
    pub name: String,
    pub address: String,
    pub gpa_hundredths: i16,
    pub student_number: Option<String>,
    pub confidential: bool,
    pub registrar: String,
    pub at: DateTimeUtc,
    /// Why the registrar made the change, when they said.
    pub reason: Option<String>,
    /// The form submission that made the change, when the form carried one
    /// (contract §10): unique, so no submission is applied twice.
    pub submission: Option<String>,
    /// The import whose confirm wrote it (the office's change log shows an
    /// import's revisions as one entry); `None` for every other change.
    pub import_id: Option<String>,
    /// SHA-256 of its canonical encoding over the previous revision's hash
    /// of the same student (contract §15, [`chain::Revision`]).
    pub hash: String,
}

impl Model {
    /// The GPA as pages show it: see [`super::student::gpa_text`].
    pub fn gpa_text(&self) -> String {
        super::student::gpa_text(self.gpa_hundredths)
    }
}

/// What a revision records; stored as the word of the contract
/// (docs/contract.md), read back as this type or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Action {
    #[sea_orm(string_value = "created")]
    Created,
    #[sea_orm(string_value = "updated")]
    Updated,
    #[sea_orm(string_value = "deleted")]
    Deleted,
    /// Created from a CSV import.
    #[sea_orm(string_value = "imported")]
    Imported,
    /// An earlier version's values brought back.
    #[sea_orm(string_value = "restored")]
    Restored,
    /// A deleted student brought back.
    #[sea_orm(string_value = "undeleted")]
    Undeleted,
}

/// The stored word: `created`, `updated`, …
impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_value())
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
