//! Which students a search matches (contract §12), and the paths the
//! database takes to them: the search index of each backend (SQLite's FTS5
//! table, PostgreSQL's trigram GIN over `students_search`, MariaDB's
//! postings in `student_trigrams`) or the list's order index walked row by
//! row. Every word is checked on the row either
//! way, so the path never changes what matches.

use sea_orm::sea_query::extension::mysql::{IndexHintScope, MySqlSelectStatementExt};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LikeExpr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryTrait, Select,
    Statement, Value,
};

use migrations::indexes;

use super::hold;
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
    /// ([`in_postings_of`]): the count's path when the postings hold more
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

/// MariaDB: at most this many trigrams are looked up in the postings. More
/// would only narrow candidates that every word is checked on anyway, and
/// each is one more table in the optimizer's join.
const MAX_TRIGRAMS: usize = 8;

/// The distinct trigrams of the words of three or more characters, taken
/// from each word in turn (its first trigram, then every word's second…),
/// at most [`MAX_TRIGRAMS`].
fn trigrams(words: &[String]) -> Vec<String> {
    let per_word: Vec<Vec<String>> = words.iter().map(|word| fold::trigrams(word)).collect();
    let longest = per_word.iter().map(Vec::len).max().unwrap_or(0);
    let mut grams: Vec<String> = Vec::new();
    for i in 0..longest {
        for gram in per_word.iter().filter_map(|word| word.get(i)) {
            if grams.len() < MAX_TRIGRAMS && !grams.contains(gram) {
                grams.push(gram.clone());
            }
        }
    }
    grams
}

/// MariaDB: the student is in the postings of every trigram of `grams`
/// (not empty). One table per trigram, each joined on the student's id, so
/// the optimizer starts from the trigram with the fewest postings and
/// probes the others by primary key. The ids are grouped in a derived
/// table, which MariaDB materializes: the postings are intersected before
/// any student's row is read (flattened into the outer join, it would read
/// the row of every posting of the rarest trigram).
fn posted(grams: &[String]) -> Expr {
    let (tables, conditions) = intersection(grams);
    Expr::cust_with_values(
        format!(
            "`students`.`id` IN (SELECT `candidates`.`student_id` FROM \
             (SELECT `t0`.`student_id` FROM {tables} WHERE {conditions} \
             GROUP BY `t0`.`student_id`) AS `candidates`)"
        ),
        grams.iter().cloned(),
    )
}

/// The tables and conditions of the postings' join: `t{i}` holds trigram
/// `i` (one `?` each, in order), joined on `t0`'s student.
fn intersection(grams: &[String]) -> (String, String) {
    let tables: Vec<String> = (0..grams.len())
        .map(|i| format!("`{}` AS `t{i}`", indexes::STUDENT_TRIGRAMS))
        .collect();
    let mut conditions: Vec<String> = (0..grams.len())
        .map(|i| format!("`t{i}`.`gram` = ?"))
        .collect();
    conditions.extend((1..grams.len()).map(|i| format!("`t{i}`.`student_id` = `t0`.`student_id`")));
    (tables.join(", "), conditions.join(" AND "))
}

/// [`Plan::WordPostings`]: `select` (from [`matching_by`] with that plan)
/// kept to the students in the postings of each of `grams`.
pub(super) fn in_postings_of(
    select: Select<student::Entity>,
    grams: &[String],
) -> Select<student::Entity> {
    grams.iter().fold(select, |select, gram| {
        select.filter(Expr::cust_with_values(
            format!(
                "`students`.`id` IN (SELECT `student_id` FROM `{}` WHERE `gram` = ?)",
                indexes::STUDENT_TRIGRAMS
            ),
            [gram.clone()],
        ))
    })
}

/// What MariaDB's postings say of a search's words, before any row is read.
pub(super) enum Candidates {
    /// No word has a trigram: only the rows can say.
    Unindexed,
    /// More candidates than the cap: the rarest trigram of each word, whose
    /// postings the count walks ([`Plan::WordPostings`]).
    Crowded(Vec<String>),
    /// The students in the postings of every trigram, at most the cap.
    Ids(Vec<i64>),
}

/// Every trigram of a search's one word with trigrams estimated at more
/// than this many times the cap: the intersection is not read to learn
/// that it is crowded (the estimates are an index dive's, within about
/// twice the truth).
const SURELY_CROWDED: u64 = 3;

/// MariaDB: the candidates of the words' trigrams (at most the cap), or
/// that there are more. Each trigram's postings are first estimated (one
/// `EXPLAIN`, nothing read); when one word has trigrams and every one has
/// several times the cap, the intersection is not read at all (20–33 ms
/// for "maple" at 1 M, two probes per candidate), else it is, up to
/// `cap + 1` students.
pub(super) async fn candidates(
    db: &impl ConnectionTrait,
    words: &[String],
    cap: u64,
) -> Result<Candidates, DbErr> {
    let grams = trigrams(words);
    if grams.is_empty() {
        return Ok(Candidates::Unindexed);
    }
    let estimates = estimates(db, &grams).await?;
    let rarest = rarest_of_each_word(words, &grams, &estimates);
    // One word's trigrams go together ("maple"'s three have the same
    // postings); two common words may still be rare together ("yusuf
    // wójcik"), so with more than one the intersection is read.
    if rarest.len() == 1 && estimates.iter().all(|e| *e > SURELY_CROWDED * cap) {
        return Ok(Candidates::Crowded(rarest));
    }
    let (tables, conditions) = intersection(&grams);
    let sql = format!(
        "SELECT `t0`.`student_id` FROM {tables} WHERE {conditions} LIMIT {}",
        cap + 1
    );
    let values: Vec<Value> = grams.into_iter().map(Value::from).collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::MySql,
            sql,
            values,
        ))
        .await?;
    let ids = rows
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if ids.len() as u64 > cap {
        Candidates::Crowded(rarest)
    } else {
        Candidates::Ids(ids)
    })
}

/// MariaDB's estimate of each trigram's postings, in order: an `EXPLAIN`
/// of one lookup each (an index dive, no posting read). One it does not
/// give is 0.
async fn estimates(db: &impl ConnectionTrait, grams: &[String]) -> Result<Vec<u64>, DbErr> {
    let one = format!(
        "SELECT 1 FROM `{}` WHERE `gram` = ?",
        indexes::STUDENT_TRIGRAMS
    );
    let sql = format!("EXPLAIN {}", vec![one; grams.len()].join(" UNION ALL "));
    let values: Vec<Value> = grams.iter().cloned().map(Value::from).collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::MySql,
            sql,
            values,
        ))
        .await?;
    // `EXPLAIN`'s columns are typed differently across versions and
    // protocols: an unsigned or signed integer, or its text.
    let number = |row: &sea_orm::QueryResult, column: &str| -> Option<u64> {
        if let Ok(Some(n)) = row.try_get::<Option<u64>>("", column) {
            return Some(n);
        }
        if let Ok(Some(n)) = row.try_get::<Option<i64>>("", column) {
            return u64::try_from(n).ok();
        }
        row.try_get::<Option<String>>("", column)
            .ok()
            .flatten()?
            .trim()
            .parse()
            .ok()
    };
    let mut estimates = vec![0; grams.len()];
    for row in &rows {
        let (Some(id), Some(rows)) = (number(row, "id"), number(row, "rows")) else {
            continue;
        };
        if let Some(slot) = id
            .checked_sub(1)
            .and_then(|i| estimates.get_mut(usize::try_from(i).ok()?))
        {
            *slot = rows;
        }
    }
    Ok(estimates)
}

/// Of each word with a trigram among `grams`, the one estimated rarest.
fn rarest_of_each_word(words: &[String], grams: &[String], estimates: &[u64]) -> Vec<String> {
    let mut rarest: Vec<String> = Vec::new();
    for word in words {
        let of_word = fold::trigrams(word);
        let best = grams
            .iter()
            .zip(estimates)
            .filter(|(gram, _)| of_word.contains(gram))
            .min_by_key(|(_, estimate)| **estimate);
        if let Some((gram, _)) = best
            && !rarest.contains(gram)
        {
            rarest.push(gram.clone());
        }
    }
    rarest
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
