//! MariaDB's side of a search (contract §12, §16): which students the
//! postings of `student_trigrams` (migration 22, kept by
//! `students::store::postings`) offer as candidates, before any row is
//! read. The search (`search`) checks every word on the rows either way.

use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryFilter, Select, Statement, Value};

use migrations::indexes;

use crate::db::entities::student;

/// MariaDB: at most this many trigrams are looked up in the postings. More
/// would only narrow candidates that every word is checked on anyway, and
/// each is one more table in the optimizer's join.
const MAX_TRIGRAMS: usize = 8;

/// The distinct trigrams of the words of three or more characters, taken
/// from each word in turn (its first trigram, then every word's second…),
/// at most [`MAX_TRIGRAMS`].
pub(super) fn trigrams(words: &[String]) -> Vec<String> {
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
pub(super) fn posted(grams: &[String]) -> Expr {
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

/// `Plan::WordPostings`: `select` (from `search::matching_by` with that
/// plan) kept to the students in the postings of each of `grams`.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidates {
    /// No word has a trigram: only the rows can say.
    Unindexed,
    /// More candidates than the cap: the rarest trigram of each word, whose
    /// postings the count walks (`Plan::WordPostings`).
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
pub async fn candidates(
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
    let rows = query(db, sql, &grams).await?;
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

/// `sql` with one `?` a trigram of `grams`, in order.
async fn query(
    db: &impl ConnectionTrait,
    sql: String,
    grams: &[String],
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    let values: Vec<Value> = grams.iter().cloned().map(Value::from).collect();
    db.query_all_raw(Statement::from_sql_and_values(
        DbBackend::MySql,
        sql,
        values,
    ))
    .await
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
    let rows = query(db, sql, grams).await?;
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
