use sea_orm::entity::prelude::*;

/// One look at something the access log covers (contract §15, "Who
/// looked"): who, when, what, from where. Written by each instance's
/// batched writer (`crate::access`), deleted only by its retention sweep.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the page or file was asked for (not when the row was written).
    pub at: DateTimeUtc,
    /// The signed-in account's username.
    pub account: String,
    pub kind: ViewKind,
    /// The student viewed, for a view of one student.
    pub student_id: Option<i64>,
    /// An export's or the log's filters, as the query string asked.
    pub query: Option<String>,
    /// The rows an export sent.
    pub rows: Option<i64>,
    /// The client's address, as sign-in throttling reads it (the trusted
    /// proxy's header when `--client-ip-header` is set).
    pub client_addr: String,
    /// The student viewed was confidential then.
    pub confidential: bool,
}

/// What was looked at; stored as the word of the contract
/// (docs/contract.md), read back as this type or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ViewKind {
    /// `GET /students/{id}`.
    #[sea_orm(string_value = "record")]
    Record,
    /// `GET /students/{id}/edit`.
    #[sea_orm(string_value = "edit_form")]
    EditForm,
    /// `GET /students/{id}/delete`, which shows every value.
    #[sea_orm(string_value = "delete_form")]
    DeleteForm,
    /// `GET /students/{id}/history`.
    #[sea_orm(string_value = "history")]
    History,
    /// `GET /students/{id}/history?from=A&to=B`.
    #[sea_orm(string_value = "comparison")]
    Comparison,
    /// `GET /students/import/{id}/rows/{seq}/merge`: a refused row's merge
    /// form, which shows the record as it is.
    #[sea_orm(string_value = "merge_form")]
    MergeForm,
    /// `GET /students.csv`.
    #[sea_orm(string_value = "export")]
    Export,
    /// `GET /changes.csv`.
    #[sea_orm(string_value = "change_log_export")]
    ChangeLogExport,
    /// `GET /students/import/{id}/refused.csv`: the refused rows with the
    /// records' current values.
    #[sea_orm(string_value = "refused_export")]
    RefusedExport,
    /// `GET /audit/access`.
    #[sea_orm(string_value = "access_log")]
    AccessLog,
    /// `GET /audit/access.csv`.
    #[sea_orm(string_value = "access_log_export")]
    AccessLogExport,
    /// A read through the JSON API.
    #[sea_orm(string_value = "api_read")]
    ApiRead,
}

impl std::fmt::Display for ViewKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&sea_orm::ActiveEnum::to_value(self))
    }
}

impl ViewKind {
    /// What the log's page calls it.
    pub fn label(self) -> &'static str {
        match self {
            ViewKind::Record => "record page",
            ViewKind::EditForm => "edit form",
            ViewKind::DeleteForm => "delete confirmation",
            ViewKind::History => "history",
            ViewKind::Comparison => "comparison",
            ViewKind::MergeForm => "merge form",
            ViewKind::Export => "students CSV",
            ViewKind::RefusedExport => "refused rows CSV",
            ViewKind::ChangeLogExport => "change log CSV",
            ViewKind::AccessLog => "access log",
            ViewKind::AccessLogExport => "access log CSV",
            ViewKind::ApiRead => "API read",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
