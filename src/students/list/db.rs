//! The list's database queries, built to stay fast at a million students: pages
//! reached by cursor start from an index position instead of counting
//! rows off, pages reached by number count them off in an index, the
//! unfiltered total is a kept count, and a search's total stops counting
//! at a cap (and says so).

use sea_orm::sea_query::extension::mysql::{IndexHintScope, MySqlSelectStatementExt};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select, Value,
};

use migrations::indexes;

use super::postings::{Candidates, candidates, in_postings_of};
use super::query::{Cursor, ListQuery, Sort, SortColumn};
use super::search::{Plan, indexed_only, matching, matching_by, searched};
use crate::db::entities::student::{self, Listed};
use crate::domain::Disclosure;
use crate::students::store::{self, Student};

/// A search's total is counted up to this many matches.
pub const COUNT_CAP: u64 = 10_000;

/// How many students match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub count: u64,
    /// `count` is [`COUNT_CAP`] and more match.
    pub at_least: bool,
}

/// One page of the list, and whether there are rows before and after it.
#[derive(Debug, Clone)]
pub struct ListRows {
    /// The page's students, as lists show them.
    pub students: Vec<Listed>,
    pub total: Total,
    pub has_previous: bool,
    pub has_next: bool,
}

/// The page `query` asks for, as a reader with `disclosure` searches it.
pub async fn list(
    db: &impl ConnectionTrait,
    query: &ListQuery,
    disclosure: Disclosure,
) -> Result<ListRows, DbErr> {
    let search = query.search();
    let (total, found) =
        total(db, db.get_database_backend(), search.as_deref(), disclosure).await?;
    // More matches than the cap: about one row in a hundred or more
    // matches, so walking the order's index finds a page in a few thousand
    // entries, where the search index would hand over every match to sort.
    let (plan, candidates) = match found {
        _ if total.at_least => (Plan::OrderIndex, None),
        Found::Crowded => (Plan::KeyScan, None),
        Found::Ids(ids) => (Plan::SearchIndex, Some(ids)),
        Found::Rows => (Plan::SearchIndex, None),
    };
    let asked = (query, disclosure, plan, candidates.as_deref());
    let (students, has_previous, has_next) = rows_by(db, asked).await?;
    Ok(ListRows {
        students,
        total,
        has_previous,
        has_next,
    })
}

/// The rows of the page `query` asks for (by cursor or by number), and
/// whether rows come before and after them.
pub async fn rows(
    db: &impl ConnectionTrait,
    query: &ListQuery,
    disclosure: Disclosure,
) -> Result<(Vec<Listed>, bool, bool), DbErr> {
    rows_by(db, (query, disclosure, Plan::SearchIndex, None)).await
}

/// What a page asks for: the query, the reader's disclosure, the path to
/// the rows and, on MariaDB, the candidates the count took from the
/// postings (read by id, instead of intersecting the postings again).
type Asked<'a> = (&'a ListQuery, Disclosure, Plan, Option<&'a [i64]>);

async fn rows_by(
    db: &impl ConnectionTrait,
    asked: Asked<'_>,
) -> Result<(Vec<Listed>, bool, bool), DbErr> {
    let backend = db.get_database_backend();
    let query = asked.0;
    let limit = query.per_page + 1;
    let (mut students, has_previous, has_next) = match query.cursor {
        Some(Cursor::After(id)) => match pivot(db, query.sort, id).await? {
            Some(pivot) => {
                let rows = from_pivot(db, backend, asked, &pivot, true, limit).await?;
                let more = rows.len() as u64 > query.per_page;
                (rows, true, more)
            }
            None => first_page(db, backend, asked, 0, limit).await?,
        },
        Some(Cursor::Before(id)) => match pivot(db, query.sort, id).await? {
            Some(pivot) => {
                let mut rows = from_pivot(db, backend, asked, &pivot, false, limit).await?;
                let more = rows.len() as u64 > query.per_page;
                rows.truncate(query.per_page as usize);
                rows.reverse();
                (rows, more, true)
            }
            None => first_page(db, backend, asked, 0, limit).await?,
        },
        None => first_page(db, backend, asked, query.offset(), limit).await?,
    };
    students.truncate(query.per_page as usize);
    Ok((students, has_previous, has_next))
}

/// A page by number: the ids are counted off in the list's index (an
/// index-only scan where the backend can), then the rows fetched by id.
/// The first page of the unsearched list is read in one statement: its
/// rows are the index's first ones, so there is nothing to count off.
async fn first_page(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    asked: Asked<'_>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Listed>, bool, bool), DbErr> {
    let query = asked.0;
    let (column, order) = sort_column(query.sort);
    let ordered = ordered_by_its_index(backend, asked)
        .order_by(column, order.clone())
        .order_by(student::Column::Id, order)
        .offset(offset)
        .limit(limit);
    if offset == 0 && query.search().is_none() {
        let rows = Listed::all(ordered, db).await?;
        let has_next = rows.len() as u64 > query.per_page;
        return Ok((rows, false, has_next));
    }
    let ids: Vec<i64> = ordered
        .select_only()
        .column(student::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let has_next = ids.len() as u64 > query.per_page;
    let by_id = student::Entity::find().filter(student::Column::Id.is_in(ids.iter().copied()));
    let mut rows = Listed::all(by_id, db).await?;
    rows.sort_by_cached_key(|row| ids.iter().position(|id| *id == row.id));
    Ok((rows, offset > 0, has_next))
}

/// The sort value and id a cursor points at.
struct Pivot {
    value: Value,
    id: i64,
}

async fn pivot(db: &impl ConnectionTrait, sort: Sort, id: i64) -> Result<Option<Pivot>, DbErr> {
    let Some(row) = student::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let value = match sort.column() {
        SortColumn::Name => Value::from(row.search_key),
        SortColumn::Gpa => Value::from(row.gpa_hundredths),
        SortColumn::Updated => Value::from(row.updated_at),
    };
    Ok(Some(Pivot { value, id }))
}

/// Rows after (`forward`) or before the pivot in the list's order, nearest
/// first. `col >= v AND (col > v OR id > i)` rather than a row comparison:
/// every backend turns its first half into an index range.
async fn from_pivot(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    asked: Asked<'_>,
    pivot: &Pivot,
    forward: bool,
    limit: u64,
) -> Result<Vec<Listed>, DbErr> {
    let (column, order) = sort_column(asked.0.sort);
    let ascending = matches!(order, Order::Asc) == forward;
    let value = || Expr::val(pivot.value.clone());
    let (bound, beyond, id_beyond) = if ascending {
        (
            Expr::col(column).gte(value()),
            Expr::col(column).gt(value()),
            Expr::col(student::Column::Id).gt(pivot.id),
        )
    } else {
        (
            Expr::col(column).lte(value()),
            Expr::col(column).lt(value()),
            Expr::col(student::Column::Id).lt(pivot.id),
        )
    };
    let walk = if ascending { Order::Asc } else { Order::Desc };
    let select = ordered_by_its_index(backend, asked)
        .filter(bound)
        .filter(beyond.or(id_beyond))
        .order_by(column, walk.clone())
        .order_by(student::Column::Id, walk)
        .limit(limit);
    Listed::all(select, db).await
}

/// How many match, and how MariaDB's count found them.
async fn total(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    search: Option<&[String]>,
    disclosure: Disclosure,
) -> Result<(Total, Found), DbErr> {
    let Some(words) = search else {
        let total = Total {
            count: store::live_count(db).await?,
            at_least: false,
        };
        return Ok((total, Found::Rows));
    };
    let mut found = Found::Rows;
    let capped = match backend {
        // The search table holds the live students only: counted there
        // (unless the reader's matches depend on the row's hold).
        DbBackend::Postgres if disclosure == Disclosure::Full => {
            searched(words).limit(COUNT_CAP + 1).to_owned()
        }
        // So does SQLite's index: counted there when every word has a
        // trigram.
        DbBackend::Sqlite if disclosure == Disclosure::Full => match indexed_only(words) {
            Some(mut select) => select.limit(COUNT_CAP + 1).to_owned(),
            None => capped_rows(backend, search, disclosure),
        },
        // MariaDB: the candidates' ids from the postings, their rows then
        // read by id; more candidates than the cap, and the postings of
        // one trigram a word are walked instead, each row read and checked
        // until the cap's matches (see `Plan::WordPostings`).
        DbBackend::MySql => match candidates(db, words, COUNT_CAP).await? {
            Candidates::Ids(ids) if ids.is_empty() => {
                let none = Total {
                    count: 0,
                    at_least: false,
                };
                return Ok((none, Found::Ids(ids)));
            }
            Candidates::Ids(ids) => {
                let select = by_id(
                    matching_by(backend, search, disclosure, Plan::OrderIndex),
                    &ids,
                );
                found = Found::Ids(ids);
                capped(select)
            }
            Candidates::Crowded(rarest) => {
                found = Found::Crowded;
                capped(in_postings_of(
                    matching_by(backend, search, disclosure, Plan::WordPostings),
                    &rarest,
                ))
            }
            Candidates::Unindexed => {
                capped(matching_by(backend, search, disclosure, Plan::KeyScan))
            }
        },
        _ => capped_rows(backend, search, disclosure),
    };
    let count = Query::select()
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("matches"))
        .from_subquery(capped, Alias::new("capped"))
        .to_owned();
    let matches: i64 = db
        .query_one(&count)
        .await?
        .map(|row| row.try_get("", "matches"))
        .transpose()?
        .unwrap_or(0);
    let matches = u64::try_from(matches).unwrap_or(0);
    let total = Total {
        count: std::cmp::min(matches, COUNT_CAP),
        at_least: matches > COUNT_CAP,
    };
    Ok((total, found))
}

/// The ids of the students `search` matches, at most one more than the cap.
fn capped_rows(
    backend: DbBackend,
    search: Option<&[String]>,
    disclosure: Disclosure,
) -> sea_orm::sea_query::SelectStatement {
    capped(matching(backend, search, disclosure))
}

/// The ids `select` finds, at most one more than the cap.
fn capped(select: Select<student::Entity>) -> sea_orm::sea_query::SelectStatement {
    select
        .select_only()
        .column(student::Column::Id)
        .limit(COUNT_CAP + 1)
        .into_query()
}

/// Live students other than `except` whose folded name is `name`'s
/// (contract §12's possible duplicates), at most `limit`: found by the
/// search's index for the name's words, then held to the whole name.
pub async fn same_name(
    db: &impl ConnectionTrait,
    name: &str,
    except: i64,
    limit: u64,
) -> Result<Vec<Student>, DbErr> {
    let folded = fold::fold(name);
    let words = fold::words(&folded);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut prefix = String::new();
    for c in folded.chars().chain(['\n']) {
        if matches!(c, '%' | '_' | '!') {
            prefix.push('!');
        }
        prefix.push(c);
    }
    prefix.push('%');
    // Registrars only: a new record's page names its possible duplicates.
    matching(db.get_database_backend(), Some(&words), Disclosure::Full)
        .filter(Expr::col(student::Column::SearchKey).like(LikeExpr::new(prefix).escape('!')))
        .filter(student::Column::Id.ne(except))
        .limit(limit)
        .all(db)
        .await
}

/// [`matching`] by `plan`, and on MariaDB held to the index of the list's
/// order when that index is walked (no search, or [`Plan::OrderIndex`]),
/// or to the candidates' ids when the count found them.
fn ordered_by_its_index(
    backend: DbBackend,
    (query, disclosure, plan, candidates): Asked<'_>,
) -> Select<student::Entity> {
    let search = query.search();
    if let Some(ids) = candidates {
        return by_id(
            matching_by(backend, search.as_deref(), disclosure, Plan::OrderIndex),
            ids,
        );
    }
    let mut select = matching_by(backend, search.as_deref(), disclosure, plan);
    // MariaDB may otherwise take another list index and sort every row.
    if backend == DbBackend::MySql && (search.is_none() || plan == Plan::OrderIndex) {
        let index = match query.sort.column() {
            SortColumn::Name => indexes::STUDENTS_LIVE_NAME,
            SortColumn::Gpa => indexes::STUDENTS_LIVE_GPA,
            SortColumn::Updated => indexes::STUDENTS_LIVE_UPDATED,
        };
        QueryTrait::query(&mut select).force_index(Alias::new(index), IndexHintScope::All);
    }
    select
}

/// `select` held to the students `ids`, read by primary key (MariaDB).
fn by_id(select: Select<student::Entity>, ids: &[i64]) -> Select<student::Entity> {
    let mut select = select.filter(student::Column::Id.is_in(ids.iter().copied()));
    QueryTrait::query(&mut select).force_index(Alias::new("PRIMARY"), IndexHintScope::All);
    select
}

/// How MariaDB's count found its matches.
enum Found {
    /// By the rows (every other backend, or no word with a trigram).
    Rows,
    /// The postings gave more candidates than the cap: the keys were
    /// checked in the name index, and the page checks them there too.
    Crowded,
    /// The candidates the postings gave, at most the cap.
    Ids(Vec<i64>),
}

fn sort_column(sort: Sort) -> (student::Column, Order) {
    let column = match sort.column() {
        // The search key starts with the lower-cased name.
        SortColumn::Name => student::Column::SearchKey,
        SortColumn::Gpa => student::Column::GpaHundredths,
        SortColumn::Updated => student::Column::UpdatedAt,
    };
    let order = if sort.is_descending() {
        Order::Desc
    } else {
        Order::Asc
    };
    (column, order)
}
