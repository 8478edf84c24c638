//! The change log's queries. The log's order is `(at, id)`, newest first;
//! a page starts just below a position (the last entry of the page before)
//! and is one index range on every backend, however deep (see the
//! migration `m20261207_000013_change_log` for the indexes):
//!
//! - the whole log, and `since`/`until`: the revisions no import wrote, by
//!   `(at, id)`, beside the imports' entries by `(at, first_revision)`;
//! - `by=`: the same, by `(registrar, at, id)`, and the imports' entries by
//!   `(registrar, at, first_revision)`;
//! - `action=`: by `(action, at, id)` (imports' entries only for `imported`);
//!   with `by=` too, the backend's statistics pick the rarer of the two;
//! - `student=`: the student's revisions (its `(student_id, version)` key;
//!   a student has few), imports' rows among them;
//! - `import=`: the import's revisions by `(import_id, at, id)`.
//!
//! Both lists are read `limit` rows deep from the position and merged, so
//! a page costs two short range scans.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::extension::mysql::{IndexHintScope, MySqlSelectStatementExt};
use sea_orm::sea_query::{Alias, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};

use migrations::indexes;

use crate::db::entities::{import_entry, revision};
use crate::students::store::import_entries::ImportEntry;
use crate::students::store::{Action, Revision};

/// The filters as the queries take them: the account's stored username,
/// days turned into instants.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub by: Option<String>,
    pub action: Option<Action>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub student: Option<i64>,
    pub import: Option<String>,
    /// Whether an import's revisions show as its one entry.
    pub grouped: bool,
}

/// A place in the log's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub at: DateTime<Utc>,
    pub id: i64,
}

/// One entry of the log as read: a revision, or an import's entry.
#[derive(Debug, Clone)]
pub enum Row {
    Revision(Revision),
    Import(ImportEntry),
}

impl Row {
    /// Its place in the log: an import's is its first revision's.
    pub fn position(&self) -> Position {
        match self {
            Row::Revision(r) => Position { at: r.at, id: r.id },
            Row::Import(i) => Position {
                at: i.at,
                id: i.first_revision,
            },
        }
    }
}

/// Where `before=ID` starts a page: just below revision `id`, if there is
/// one.
pub async fn position_of(db: &impl ConnectionTrait, id: i64) -> Result<Option<Position>, DbErr> {
    Ok(revision::Entity::find_by_id(id)
        .select_only()
        .column(revision::Column::At)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?
        .map(|at| Position { at, id }))
}

/// Up to `limit` entries of the log in `scope`, newest first, below
/// `before` when given.
pub async fn rows(
    db: &impl ConnectionTrait,
    scope: &Scope,
    before: Option<Position>,
    limit: u64,
) -> Result<Vec<Row>, DbErr> {
    let mut rows: Vec<Row> = revisions(db, scope, before, limit)
        .await?
        .into_iter()
        .map(Row::Revision)
        .collect();
    let imports_listed = scope.grouped && scope.action.is_none_or(|a| a == Action::Imported);
    if imports_listed {
        rows.extend(
            imports(db, scope, before, limit)
                .await?
                .into_iter()
                .map(Row::Import),
        );
        rows.sort_by_key(|row| std::cmp::Reverse(row.position()));
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    Ok(rows)
}

/// `column <= at AND (column < at OR id < id)`: below `before` in the
/// log's order, its first half an index range on every backend.
fn below<C: ColumnTrait>(at: C, id: C, before: Position) -> Condition {
    Condition::all()
        .add(at.lte(before.at))
        .add(at.lt(before.at).or(id.lt(before.id)))
}

async fn revisions(
    db: &impl ConnectionTrait,
    scope: &Scope,
    before: Option<Position>,
    limit: u64,
) -> Result<Vec<Revision>, DbErr> {
    use revision::Column;
    let mut select = revision::Entity::find();
    if scope.grouped {
        select = select.filter(Column::ImportId.is_null());
    }
    if let Some(import) = &scope.import {
        select = select.filter(Column::ImportId.eq(import.as_str()));
    }
    if let Some(by) = &scope.by {
        select = select.filter(Column::Registrar.eq(by.as_str()));
    }
    if let Some(action) = scope.action {
        select = select.filter(Column::Action.eq(action));
    }
    if let Some(student) = scope.student {
        select = select.filter(Column::StudentId.eq(student));
    }
    if let Some(from) = scope.from {
        select = select.filter(Column::At.gte(from));
    }
    if let Some(to) = scope.to {
        select = select.filter(Column::At.lt(to));
    }
    if let Some(before) = before {
        select = select.filter(below(Column::At, Column::Id, before));
    }
    if db.get_database_backend() == DbBackend::MySql
        && let Some(index) = mysql_index(scope)
    {
        // MariaDB would read the `import_id IS NULL` part of an index by
        // `ref` and filter the rest: from the newest entry, however deep
        // the page.
        QueryTrait::query(&mut select).force_index(Alias::new(index), IndexHintScope::All);
    }
    select
        .order_by_desc(Column::At)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The index MySQL/MariaDB is held to for `scope`: none for a student's
/// revisions (few: its own key serves), nor for `by` and `action` together,
/// where its statistics choose the rarer of the two well (held to the
/// registrar's, a rare action took half a second at a million revisions).
fn mysql_index(scope: &Scope) -> Option<&'static str> {
    if scope.student.is_some() || (scope.by.is_some() && scope.action.is_some()) {
        None
    } else if scope.import.is_some() {
        Some(indexes::REVISIONS_LOG)
    } else if scope.by.is_some() {
        Some(indexes::REVISIONS_LOG_REGISTRAR)
    } else if scope.action.is_some() {
        Some(indexes::REVISIONS_LOG_ACTION)
    } else {
        Some(indexes::REVISIONS_LOG)
    }
}

async fn imports(
    db: &impl ConnectionTrait,
    scope: &Scope,
    before: Option<Position>,
    limit: u64,
) -> Result<Vec<ImportEntry>, DbErr> {
    use import_entry::Column;
    let mut select = import_entry::Entity::find();
    if let Some(by) = &scope.by {
        select = select.filter(Column::Registrar.eq(by.as_str()));
    }
    if let Some(from) = scope.from {
        select = select.filter(Column::At.gte(from));
    }
    if let Some(to) = scope.to {
        select = select.filter(Column::At.lt(to));
    }
    if let Some(before) = before {
        select = select.filter(below(Column::At, Column::FirstRevision, before));
    }
    select
        .order_by_desc(Column::At)
        .order_by_desc(Column::FirstRevision)
        .limit(limit)
        .all(db)
        .await
}

/// Import `id`'s entry, if it wrote anything.
pub async fn import_entry(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<ImportEntry>, DbErr> {
    import_entry::Entity::find_by_id(id.to_owned())
        .one(db)
        .await
}

/// The revisions just before each of `revisions` (its student's previous
/// version), for what each changed; one statement.
pub async fn previous(
    db: &impl ConnectionTrait,
    revisions: &[&Revision],
) -> Result<Vec<Revision>, DbErr> {
    let wanted: Vec<&&Revision> = revisions.iter().filter(|r| r.version > 1).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let any = wanted.iter().fold(Condition::any(), |any, r| {
        any.add(
            Condition::all()
                .add(revision::Column::StudentId.eq(r.student_id))
                .add(revision::Column::Version.eq(r.version - 1)),
        )
    });
    revision::Entity::find().filter(any).all(db).await
}
