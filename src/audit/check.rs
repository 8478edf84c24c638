//! One student's chain, checked revision by revision in version order
//! (contract §15): what `audit verify` and the history page report. It
//! holds a few hashes, never the chain, so a chain of any length is
//! checked in bounded memory.
//!
//! What it reports, each at a student and version:
//! - **changed**: the revision's stored hash does not match its values and
//!   the previous revision's stored hash (a value edited by hand; when an
//!   intruder also rewrote that hash, the next version is the one named),
//!   or the newest revision's hash is not the student's chain head;
//! - **removed**: no revision numbered so, below the newest found or up to
//!   the student's version;
//! - **inserted**: a second revision numbered so, one beyond the student's
//!   version, or one of no student;
//! - **reordered**: two revisions whose numbers disagree with the order
//!   they were written in (revision ids only grow, so a later version
//!   always has a higher id).
//!
//! A revision whose link is broken only by a removal or a reordering just
//! before it is not reported again as changed.

use std::collections::VecDeque;

use crate::db::entities::revision;
use crate::students::store::columns::stored_chained;

/// What was found wrong at a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Changed,
    Removed,
    Inserted,
    Reordered,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Finding::Changed => "changed",
            Finding::Removed => "removed",
            Finding::Inserted => "inserted",
            Finding::Reordered => "reordered",
        })
    }
}

/// A break in a chain: where, what, and why it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub student_id: i64,
    pub version: i64,
    pub finding: Finding,
    pub detail: &'static str,
}

/// The students row a chain ends at: its version and chain head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub version: i64,
    pub chain_head: String,
}

/// The last revision accepted in the chain, judged once the next is seen.
struct Pending {
    version: i64,
    id: i64,
    hash: String,
    linked: bool,
    reordered: bool,
    after_gap: bool,
}

/// Stored hashes a revision may link to when a reordering moved it.
const RECENT: usize = 4;

pub struct ChainCheck {
    student_id: i64,
    head: Option<Head>,
    cut: Option<i64>,
    last: Option<Pending>,
    recent: VecDeque<String>,
    /// The chain recomputed from its values alone, up to `last`.
    recomputed: String,
    at_cut: Option<String>,
    revisions: u64,
}

impl ChainCheck {
    /// The chain of `student_id`, which ends at `head` (`None`: the student
    /// has no row); `cut` is a digest's version for it, whose recomputed
    /// hash [`ChainCheck::finish`] returns.
    pub fn new(student_id: i64, head: Option<Head>, cut: Option<i64>) -> ChainCheck {
        ChainCheck {
            student_id,
            head,
            cut,
            last: None,
            recent: VecDeque::with_capacity(RECENT),
            recomputed: chain::GENESIS.to_owned(),
            at_cut: None,
            revisions: 0,
        }
    }

    fn report(&self, version: i64, finding: Finding, detail: &'static str) -> Break {
        Break {
            student_id: self.student_id,
            version,
            finding,
            detail,
        }
    }

    /// The next revision of the student, in (version, id) order.
    pub fn revision(&mut self, row: &revision::Model, found: &mut impl FnMut(Break)) {
        self.revisions += 1;
        let Some(head) = &self.head else {
            found(self.report(row.version, Finding::Inserted, "a revision of no student"));
            return;
        };
        if row.version > head.version {
            found(self.report(
                row.version,
                Finding::Inserted,
                "beyond the student's current version",
            ));
            return;
        }
        let word = row.action.to_string();
        let content = stored_chained(row, &word);
        let next_expected = self.last.as_ref().map_or(1, |last| last.version + 1);
        if row.version < next_expected {
            let detail = match row.version < 1 {
                true => "numbered below 1",
                false => "a second revision with this number",
            };
            found(self.report(row.version, Finding::Inserted, detail));
            return;
        }
        for missing in next_expected..row.version {
            found(self.report(missing, Finding::Removed, "no revision with this number"));
        }
        let gap = row.version > next_expected;
        let previous = self.last.take();
        let reordered = match &previous {
            Some(last) => !gap && row.id < last.id,
            None => false,
        };
        let stored_previous = match &previous {
            Some(last) => last.hash.clone(),
            None => chain::GENESIS.to_owned(),
        };
        if let Some(mut last) = previous {
            last.reordered |= reordered;
            self.judge(last, found);
        }
        let direct = content.hash(&stored_previous) == row.hash;
        let linked = direct
            || self
                .recent
                .iter()
                .any(|earlier| content.hash(earlier) == row.hash);
        // The chain from its values alone: the stored hash, as long as
        // every link so far held.
        self.recomputed = match direct && self.recomputed == stored_previous {
            true => row.hash.clone(),
            false => content.hash(&self.recomputed),
        };
        if self.cut == Some(row.version) {
            self.at_cut = Some(self.recomputed.clone());
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(stored_previous);
        self.last = Some(Pending {
            version: row.version,
            id: row.id,
            hash: row.hash.clone(),
            linked,
            reordered,
            after_gap: gap,
        });
    }

    fn judge(&self, last: Pending, found: &mut impl FnMut(Break)) {
        if last.reordered {
            found(self.report(
                last.version,
                Finding::Reordered,
                "its number disagrees with the order the revisions were written in",
            ));
        } else if !last.linked && !last.after_gap {
            found(self.report(
                last.version,
                Finding::Changed,
                "its stored hash does not match its values and the previous hash",
            ));
        }
    }

    /// Ends the chain: judges its newest revision against the student's
    /// row. Returns the revisions seen and the recomputed hash at the cut
    /// (`None`: no revision there).
    pub fn finish(mut self, found: &mut impl FnMut(Break)) -> (u64, Option<String>) {
        let last = self.last.take();
        let newest = last.as_ref().map_or(0, |last| last.version);
        let newest_hash = last.as_ref().map(|last| last.hash.clone());
        if let Some(last) = last {
            self.judge(last, found);
        }
        if let Some(head) = &self.head {
            for missing in newest + 1..=head.version {
                found(self.report(
                    missing,
                    Finding::Removed,
                    "the student is at a later version than its newest revision",
                ));
            }
            if newest == head.version && newest_hash.as_deref() != Some(&head.chain_head) {
                found(self.report(
                    newest,
                    Finding::Changed,
                    "its hash is not the student's chain head",
                ));
            }
        }
        (self.revisions, self.at_cut)
    }
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
