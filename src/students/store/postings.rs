//! MariaDB's search postings (contract §12, §16; migration 22): the table
//! `student_trigrams (gram, student_id)` holds each trigram
//! ([`fold::trigrams`]) of every live student's search key, and a search
//! finds its candidates there (`students::list::search`). The write core
//! keeps it here, in the change's own transaction: a create posts the key,
//! a change of key posts only the difference, a delete takes the student's
//! postings out and an undelete puts them back. A save that leaves the key
//! as it was sends nothing more.
//!
//! The write core rather than triggers keeps them: on Galera, a node
//! rejoining under load answered a save's `UPDATE students` with "Unknown
//! trigger has an error in its body" (1064) for a moment
//! (`cluster::galera_a_node_killed…`), and a transaction aborted by a
//! replicated write inside a trigger's stored procedure held its locks
//! until the lock wait timeout. Plain statements are replicated as rows
//! like every other write. SQLite and PostgreSQL have trigram indexes of
//! their own: nothing here writes there.

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, Value};

/// Postings a statement writes or deletes: two bound values each.
const POSTINGS_PER_STATEMENT: usize = 2_000;

/// One student's search key before and after a write: `None` where the
/// student was not (or is no longer) live.
#[derive(Debug, Clone, Copy)]
pub struct Repost<'a> {
    pub id: i64,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// Whether `backend` keeps postings (MariaDB/MySQL).
pub fn kept(backend: DbBackend) -> bool {
    backend == DbBackend::MySql
}

/// Moves the postings of each student of `changes` from its key before to
/// its key after, in `txn`: at most one `DELETE` and one `INSERT` for a
/// few thousand postings, none when no key changed.
pub async fn repost(txn: &DatabaseTransaction, changes: &[Repost<'_>]) -> Result<(), DbErr> {
    if !kept(txn.get_database_backend()) {
        return Ok(());
    }
    let mut gone: Vec<(i64, Vec<String>)> = Vec::new();
    let mut new: Vec<(String, i64)> = Vec::new();
    for change in changes {
        if change.before == change.after {
            continue;
        }
        let before = grams(change.before);
        let after = grams(change.after);
        let removed: Vec<String> = before.difference(&after).cloned().collect();
        if !removed.is_empty() {
            gone.push((change.id, removed));
        }
        new.extend(
            after
                .difference(&before)
                .map(|gram| (gram.clone(), change.id)),
        );
    }
    for chunk in chunked(&gone) {
        txn.execute_raw(delete(chunk)).await?;
    }
    for chunk in new.chunks(POSTINGS_PER_STATEMENT) {
        txn.execute_raw(insert(chunk)).await?;
    }
    Ok(())
}

/// [`repost`] for one student.
pub async fn repost_one(
    txn: &DatabaseTransaction,
    id: i64,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<(), DbErr> {
    repost(txn, &[Repost { id, before, after }]).await
}

fn grams(key: Option<&str>) -> BTreeSet<String> {
    key.map(fold::trigrams)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// `gone` in runs of students of at most [`POSTINGS_PER_STATEMENT`]
/// postings (a student's are never split: a key has fewer).
fn chunked(gone: &[(i64, Vec<String>)]) -> Vec<&[(i64, Vec<String>)]> {
    let mut chunks = Vec::new();
    let (mut start, mut postings) = (0, 0);
    for (i, (_, grams)) in gone.iter().enumerate() {
        if postings > 0 && postings + grams.len() > POSTINGS_PER_STATEMENT {
            chunks.push(&gone[start..i]);
            (start, postings) = (i, 0);
        }
        postings += grams.len();
    }
    if start < gone.len() {
        chunks.push(&gone[start..]);
    }
    chunks
}

/// `DELETE … WHERE (student_id = ? AND gram IN (…)) OR …`: each posting
/// by its primary key.
fn delete(gone: &[(i64, Vec<String>)]) -> Statement {
    let mut values: Vec<Value> = Vec::new();
    let students: Vec<String> = gone
        .iter()
        .map(|(id, grams)| {
            values.push((*id).into());
            values.extend(grams.iter().map(|gram| Value::from(gram.as_str())));
            format!("(student_id = ? AND gram IN ({}))", marks(grams.len()))
        })
        .collect();
    Statement::from_sql_and_values(
        DbBackend::MySql,
        format!(
            "DELETE FROM student_trigrams WHERE {}",
            students.join(" OR ")
        ),
        values,
    )
}

/// `INSERT IGNORE INTO student_trigrams … VALUES (?, ?), …` (a posting
/// already there, which only an earlier fault could leave, is kept).
fn insert(new: &[(String, i64)]) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(new.len() * 2);
    for (gram, id) in new {
        values.push(gram.as_str().into());
        values.push((*id).into());
    }
    Statement::from_sql_and_values(
        DbBackend::MySql,
        format!(
            "INSERT IGNORE INTO student_trigrams (gram, student_id) VALUES {}",
            vec!["(?, ?)"; new.len()].join(", ")
        ),
        values,
    )
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_students_stay_under_the_statement_size() {
        let gone: Vec<(i64, Vec<String>)> = (0..10)
            .map(|id| (id, vec!["abc".to_owned(); 700]))
            .collect();
        let sizes: Vec<usize> = chunked(&gone).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [2, 2, 2, 2, 2]);
        assert!(chunked(&[]).is_empty());
    }

    #[test]
    fn a_delete_names_each_posting_by_its_key() {
        let statement = delete(&[(7, vec!["abc".to_owned(), "bcd".to_owned()])]);
        assert_eq!(
            statement.sql,
            "DELETE FROM student_trigrams WHERE (student_id = ? AND gram IN (?, ?))"
        );
    }
}
