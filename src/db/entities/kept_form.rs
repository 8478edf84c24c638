use sea_orm::entity::prelude::*;

pub use super::ended_session::EndCause;

/// A record form posted by a session that had ended (contract §12): what it
/// carried, kept privately for its account for a day and offered back
/// after it signs in. Never a password or any field but the record
/// forms' own; never part of a record's history.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kept_forms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The only account that ever sees it.
    pub registrar_id: i64,
    pub action: FormAction,
    /// The student the form was about (`None` for a create).
    pub student_id: Option<i64>,
    /// The `version` the form carried (the version its page showed).
    pub version: Option<i64>,
    /// The version a restore form asked to bring back.
    pub revision: Option<i64>,
    /// The student's fields as typed, form-encoded under their names
    /// (`name=…&address=…&gpa=…`).
    pub fields: String,
    pub reason: Option<String>,
    /// Why the session that posted it had ended.
    pub ended_by: EndCause,
    pub kept_at: DateTimeUtc,
    /// When its account first opened it (it is landed on only before).
    pub opened_at: Option<DateTimeUtc>,
}

/// Which record form it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FormAction {
    /// `POST /students`
    #[sea_orm(string_value = "create")]
    Create,
    /// `POST /students/{id}`
    #[sea_orm(string_value = "edit")]
    Edit,
    /// `POST /students/{id}/delete`
    #[sea_orm(string_value = "delete")]
    Delete,
    /// `POST /students/{id}/restore`
    #[sea_orm(string_value = "restore")]
    Restore,
    /// `POST /students/{id}/undelete`
    #[sea_orm(string_value = "undelete")]
    Undelete,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
