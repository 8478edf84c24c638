//! `audit verify`: every chain (or one student's) recomputed, merged in
//! student order with the students rows and, with a digest, its cut; one
//! page of each in memory at a time.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use super::check::{Break, ChainCheck};
use super::cursors::{Cut, Revisions, Scope, Students};
use crate::db::begin_snapshot;

/// What a verify went through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Chains checked (students, and ids with revisions but no student).
    pub students: u64,
    pub revisions: u64,
    /// Breaks found, and in how many chains.
    pub breaks: u64,
    pub broken_students: u64,
    /// With a digest: the digest recomputed from its cut and the revisions'
    /// values up to it.
    pub digest: Option<String>,
}

/// Checks the chains of `scope`, calling `found` for each break as it is
/// seen; with `digest_id`, also recomputes that digest from its cut. `db`
/// should be a snapshot ([`begin_snapshot`]) when others may write: a
/// student read before its save and its revisions after would look like
/// an inserted revision.
pub async fn verify(
    db: &impl ConnectionTrait,
    scope: Scope,
    digest_id: Option<i64>,
    mut found: impl FnMut(Break),
) -> Result<Tally, DbErr> {
    let mut students = Students::new(scope);
    let mut revisions = Revisions::new(scope);
    let mut cut = Cut::new(digest_id);
    let mut digest = digest_id.map(|_| chain::Digest::new());
    let mut tally = Tally::default();
    loop {
        let next = [
            students.peek(db).await?,
            revisions.peek(db).await?,
            cut.peek(db).await?,
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(id) = next else { break };
        let cut_version = cut.take(id);
        let mut check = ChainCheck::new(id, students.take(id), cut_version);
        let mut breaks = 0;
        let mut count = |found_one: Break| {
            breaks += 1;
            found(found_one);
        };
        while revisions.peek(db).await? == Some(id) {
            if let Some(row) = revisions.take(id) {
                check.revision(&row, &mut count);
            }
        }
        let (seen, at_cut) = check.finish(&mut count);
        if let (Some(digest), Some(version)) = (digest.as_mut(), cut_version) {
            digest.add(id, version, at_cut.as_deref().unwrap_or_default());
        }
        tally.students += 1;
        tally.revisions += seen;
        tally.breaks += breaks;
        tally.broken_students += u64::from(breaks > 0);
    }
    tally.digest = digest.map(chain::Digest::finish);
    Ok(tally)
}

/// The lowest version at which student `id`'s chain breaks, if it does:
/// what its history page says. Read in one snapshot, so a save committed
/// meanwhile is never taken for a break.
pub async fn first_break(db: &DatabaseConnection, id: i64) -> Result<Option<i64>, DbErr> {
    let snapshot = begin_snapshot(db).await?;
    let mut first: Option<i64> = None;
    verify(&snapshot, Scope::Student(id), None, |found| {
        first = Some(first.map_or(found.version, |v| v.min(found.version)));
    })
    .await?;
    snapshot.commit().await?;
    Ok(first)
}
