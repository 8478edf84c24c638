//! Which students a search matches (contract §12), and the paths the
//! database takes to them: the search index of each backend (SQLite's FTS5
//! table, PostgreSQL's trigram GIN over `students_search`, MariaDB's
//! postings in `student_trigrams`) or the list's order index walked row by
//! row. Every word is checked on the row either
//! way, so the path never changes what matches.

use sea_orm::sea_query::extension::mysql::{IndexHintScope, MySqlSelectStatementExt};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LikeExpr, Query, SelectStatement};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Select};

use migrations::indexes;

use super::hold;
use super::postings::{posted, trigrams};
use crate::db::entities::student;
use crate::domain::Disclosure;

/// How a search's page finds its rows. Either way every word is checked
/// on the row (contract §12); only the path to the candidates differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    /// The candidates come from the search index (SQLite's FTS5 table,
    /// PostgreSQL's trigram GIN, MariaDB's postings), and are then sorted:
    /// cheap when few match.
    SearchIndex,
    /// The list's order index is walked and each row checked, stopping at
    /// the page's end: cheap when many match.
    OrderIndex,
    /// MariaDB: every live key is checked in the name index, which holds
    /// it. Taken for a page when the postings give more candidates than
    /// the count's cap, and for the count when no word has a trigram.
    KeyScan,
    /// MariaDB: the students in the postings of one trigram of each word
    /// (its rarest), each row read by id in id order and checked
    /// (`postings::in_postings_of`): the count's path when the postings hold more
    /// candidates than the cap. It stops at the cap's matches, a few more
    /// rows than that; a scan of the name index reads every key before the
    /// cap's matches, 300,000 for a word one student in thirty holds (and
    /// every key when fewer than the cap match), and probing every trigram
    /// of the word for each candidate costs more than reading its row.
    WordPostings,
}

/// Live students, and those whose folded name, address or number holds
/// every word of `search` (contract §12), the address not searched where
/// the reader's `disclosure` withholds it (§15).
pub(super) fn matching(
    backend: DbBackend,
    search: Option<&[String]>,
    disclosure: Disclosure,
) -> Select<student::Entity> {
    matching_by(backend, search, disclosure, Plan::SearchIndex)
}

/// [`matching`], its candidates found as `plan` says.
pub(super) fn matching_by(
    backend: DbBackend,
    search: Option<&[String]>,
    disclosure: Disclosure,
    plan: Plan,
) -> Select<student::Entity> {
    let select = student::Entity::find().filter(student::Column::DeletedAt.is_null());
    let Some(words) = search else {
        return select;
    };
    let select = match disclosure {
        Disclosure::Full => select,
        Disclosure::Directory => select.filter(hold::outside_withheld(words)),
    };
    let grams = trigrams(words);
    let scan = plan == Plan::KeyScan || grams.is_empty();
    let select = if backend == DbBackend::MySql && plan != Plan::OrderIndex {
        let mut select = select;
        let index = if scan {
            // No word has a trigram: the key is checked on every live row.
            // MariaDB sees the three list indexes as equal for
            // `deleted_at IS NULL` and may pick one without the search key,
            // visiting every row; the name index holds the key and covers
            // the scan. (Walking the order's index, the caller names that
            // one.)
            indexes::STUDENTS_LIVE_NAME
        } else {
            // The candidates come from the postings, each row then read by
            // id; MariaDB would otherwise walk the name index in the page's
            // order and look each row up in the postings.
            "PRIMARY"
        };
        QueryTrait::query(&mut select).force_index(Alias::new(index), IndexHintScope::All);
        select
    } else {
        select
    };
    let each_word = |select: Select<student::Entity>| {
        words.iter().fold(select, |select, word| {
            select.filter(Expr::col(student::Column::SearchKey).like(contains(word)))
        })
    };
    match (backend, plan) {
        (_, Plan::OrderIndex | Plan::KeyScan) => each_word(select),
        (DbBackend::Postgres, Plan::SearchIndex) => select.filter(
            Expr::col((student::Entity, student::Column::Id)).in_subquery(searched(words)),
        ),
        (DbBackend::Sqlite, Plan::SearchIndex) => match phrases(words) {
            // The FTS5 trigram index finds the students holding every word
            // of three or more characters (a phrase of trigrams is a
            // substring, read from the index alone; a `LIKE` there would
            // re-read each candidate's key); every word is then checked on
            // the row.
            Some(phrases) => each_word(select.filter(Expr::cust_with_values(
                "\"students\".\"id\" IN (SELECT rowid FROM students_search WHERE students_search MATCH ?)",
                [phrases],
            ))),
            None => each_word(select),
        },
        (DbBackend::MySql, Plan::SearchIndex) if !scan => {
            each_word(select.filter(posted(&grams)))
        }
        (_, Plan::SearchIndex | Plan::WordPostings) => each_word(select),
    }
}

/// SQLite: an FTS5 query asking for every word of at least three
/// characters as a phrase (so `%`, `_`, `*` are plain characters in it);
/// `None` when no word is that long (shorter ones have no trigram).
fn phrases(words: &[String]) -> Option<String> {
    let phrases: Vec<String> = words
        .iter()
        .filter(|word| word.chars().count() >= 3)
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" "))
}

/// SQLite: the ids of the live students whose search key holds every
/// word, from the FTS5 index alone (it holds the live students only), when
/// every word has a trigram: a phrase of trigrams is then exactly the
/// substring (the key and the words are folded alike). `None` when a word
/// is shorter: only its row can say.
pub(super) fn indexed_only(words: &[String]) -> Option<SelectStatement> {
    if words.iter().any(|word| word.chars().count() < 3) {
        return None;
    }
    let phrases = phrases(words)?;
    Some(
        Query::select()
            .expr(Expr::cust("rowid"))
            .from(Alias::new("students_search"))
            .and_where(Expr::cust_with_values("students_search MATCH ?", [phrases]))
            .to_owned(),
    )
}

/// PostgreSQL: the ids of the live students whose search key holds every
/// word, from the search table. Its trigram index serves each `LIKE` of a
/// word of three or more characters; a shorter word has no trigram, and
/// its `LIKE` would make the index read every entry, so it is checked on
/// the rows the others found (`strpos`, which no index serves).
pub(super) fn searched(words: &[String]) -> SelectStatement {
    let mut select = Query::select();
    select.column(SearchTable::Id).from(SearchTable::Table);
    for word in words {
        if word.chars().count() >= 3 {
            select.and_where(Expr::col(SearchTable::SearchKey).like(contains(word)));
        } else {
            select.and_where(Expr::cust_with_values(
                "strpos(\"students_search\".\"search_key\", $1) > 0",
                [word.clone()],
            ));
        }
    }
    select.to_owned()
}

/// PostgreSQL's search table, `students_search`: a live student's id and
/// search key, kept in step with `students` by triggers.
#[derive(sea_orm::DeriveIden)]
enum SearchTable {
    #[sea_orm(iden = "students_search")]
    Table,
    Id,
    SearchKey,
}

/// `LIKE` pattern for "contains `needle`", with `!` escaping the pattern's
/// own wildcards.
pub(super) fn contains(needle: &str) -> LikeExpr {
    let mut pattern = String::from("%");
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '!') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('!')
}
