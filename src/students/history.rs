//! `GET /students/{id}/history`: every revision of a student, newest
//! first, with what it changed, and the stale submissions refused on the
//! way; readable after a delete too.

use crate::students::values::sent;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::conflict::{FieldChange, revision_changes, with_previous, withhold};
use super::store::{self, Action, Attempt, ConflictEntry, Revision, conflicts, revisions};
use super::{compare, paths};
use crate::access::viewers::{self, Viewers};
use crate::access::{ViewKind, Witness};
use crate::auth::SignedIn;
use crate::domain::{Disclosure, Field, confidential};
use crate::error::AppError;
use crate::http::path::StudentId;
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::views::{Instant, Layout, isolated, render};

/// What a line of the history is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Revision(Action),
    Conflict,
}

/// The word of its class: the revision's action, or `conflict`.
impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntryKind::Revision(action) => action.fmt(f),
            EntryKind::Conflict => f.write_str("conflict"),
        }
    }
}

/// One line of a student's history: a revision or a conflict entry.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub kind: EntryKind,
    pub version: i64,
    pub registrar: String,
    pub at: Instant,
    pub changes: Vec<FieldChange>,
    /// For a conflict entry: what it was about.
    pub note: Option<String>,
    /// Why, if its author said.
    pub reason: Option<String>,
    /// Newest first by version (clocks of several instances may disagree);
    /// a conflict entry sits just after the version it was refused at.
    sort_key: (i64, u8, chrono::DateTime<chrono::Utc>),
}

impl HistoryPage {
    /// Whether this entry's values can be brought back: a revision older
    /// than the newest, of a live student, that holds values of its own
    /// (a delete's are the ones before it).
    pub fn offers_restore(&self, entry: &HistoryEntry) -> bool {
        !self.deleted
            && entry.version < self.version
            && matches!(entry.kind, EntryKind::Revision(action) if action != Action::Deleted)
    }

    /// Compares the entry's version with the current one.
    pub fn compare_href(&self, entry: &HistoryEntry) -> Option<String> {
        (entry.is_revision() && entry.version < self.version)
            .then(|| paths::compare(self.id, entry.version, self.version))
    }

    /// Every version, newest first, for the comparison form.
    pub fn versions(&self) -> Vec<i64> {
        (1..=self.version).rev().take(200).collect()
    }

    /// The comparison form's default `from`: the version before the newest.
    pub fn previous_version(&self) -> i64 {
        (self.version - 1).max(1)
    }
}

impl HistoryEntry {
    pub fn title(&self) -> String {
        let version = self.version;
        match self.kind {
            EntryKind::Revision(Action::Created) => format!("Created as version {version}"),
            EntryKind::Revision(Action::Imported) => format!("Imported as version {version}"),
            EntryKind::Revision(Action::Updated) => format!("Version {version}"),
            EntryKind::Revision(Action::Deleted) => format!("Deleted (version {version})"),
            EntryKind::Revision(Action::Restored) => format!("Restored as version {version}"),
            EntryKind::Revision(Action::Undeleted) => format!("Undeleted as version {version}"),
            EntryKind::Conflict => "Conflict: a stale submission was refused".to_owned(),
        }
    }

    /// Entries of `revisions` (sorted by version), each with what it
    /// changed from the version before it, as a reader with `disclosure`
    /// sees them (`held`: the student is confidential now).
    pub fn from_revisions(
        revisions: &[Revision],
        disclosure: Disclosure,
        held: bool,
    ) -> Vec<HistoryEntry> {
        with_previous(revisions)
            .map(|(before, revision)| HistoryEntry {
                kind: EntryKind::Revision(revision.action),
                version: revision.version,
                registrar: revision.registrar.clone(),
                at: revision.at.into(),
                changes: withhold(
                    revision_changes(before, revision),
                    disclosure,
                    held || revision.confidential || before.is_some_and(|b| b.confidential),
                ),
                note: None,
                reason: revision.reason.clone(),
                sort_key: (revision.version, 0, revision.at),
            })
            .collect()
    }

    /// A refused submission's entry, as a reader with `disclosure` sees it
    /// (`held`: the student is confidential now).
    pub fn from_conflict(
        entry: &ConflictEntry,
        disclosure: Disclosure,
        held: bool,
    ) -> HistoryEntry {
        let submitted: Vec<FieldChange> = Field::ALL
            .into_iter()
            .filter_map(|field| {
                sent(entry, field).map(|v| FieldChange {
                    field,
                    old: None,
                    new: v.clone(),
                    withheld: false,
                })
            })
            .collect();
        let held = held || entry.confidential.as_deref() == Some(confidential::text(true));
        let submitted = withhold(submitted, disclosure, held);
        let (from, at) = (entry.submitted_version, entry.current_version);
        let head = match entry.attempted {
            Attempt::Delete => format!(
                "A delete from a page at version {from} was refused: the record was at version {at}."
            ),
            Attempt::Update => {
                format!("An edit of version {from} was refused: the record was at version {at}.")
            }
            Attempt::Restore => format!(
                "A restore from a page at version {from} was refused: the record was at version {at}."
            ),
            Attempt::Undelete => format!(
                "An undelete from a page at version {from} was refused: the record was at version {at}."
            ),
        };
        let not_kept = refused_labels(entry.refused.as_deref())
            .map(|labels| format!(" Not kept, as the form's rules refuse what was sent: {labels}."))
            .unwrap_or_default();
        let values = match entry.attempted {
            Attempt::Update if !submitted.is_empty() => " The values submitted:",
            Attempt::Restore if !submitted.is_empty() => " The values asked for:",
            _ => "",
        };
        let note = format!("{head}{not_kept}{values}");
        HistoryEntry {
            kind: EntryKind::Conflict,
            version: entry.submitted_version,
            registrar: entry.registrar.clone(),
            at: entry.at.into(),
            changes: submitted,
            note: Some(note),
            reason: entry.reason.clone(),
            sort_key: (entry.current_version, 1, entry.at),
        }
    }

    pub fn is_revision(&self) -> bool {
        matches!(self.kind, EntryKind::Revision(_))
    }

    /// Newest first.
    pub fn sort(entries: &mut [HistoryEntry]) {
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.sort_key));
    }
}

#[derive(Template)]
#[template(path = "students/history.html")]
pub struct HistoryPage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub deleted: bool,
    /// The student is confidential (the page says so).
    pub confidential: bool,
    /// The student's version now: what the restore forms send.
    pub version: i64,
    pub entries: Vec<HistoryEntry>,
    pub newer_href: Option<String>,
    pub older_href: Option<String>,
    /// "Who viewed this record", for admins only.
    pub viewers: Option<Viewers>,
    /// The lowest version at which the record's hash chain breaks
    /// (contract §15), if it does.
    pub chain_break: Option<i64>,
}

/// History entries per page.
const HISTORY_PAGE: u64 = 50;

/// `GET /students/{id}/history?page=N`: newest first, a page at a time.
pub async fn history(
    State(state): State<AppState>,
    registrar: SignedIn,
    witness: Witness,
    id: StudentId,
    pairs: QueryPairs,
) -> Result<Response, AppError> {
    let student = store::find(&state.db, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    if compare::is_comparison(&pairs) {
        let compared = compare::compare(&state, &registrar, &student, &pairs).await?;
        witness.saw(ViewKind::Comparison, &student);
        return Ok(compared);
    }
    witness.saw(ViewKind::History, &student);
    let page = pairs
        .get("page")
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|&p| p >= 1)
        .unwrap_or(1)
        .min(1_000_000);
    let mut revisions =
        revisions::page(&state.db, id.0, (page - 1) * HISTORY_PAGE, HISTORY_PAGE).await?;
    let has_older = revisions.len() as u64 > HISTORY_PAGE;
    revisions.reverse();
    let (disclosure, held) = (registrar.disclosure(), student.confidential);
    let mut entries = HistoryEntry::from_revisions(&revisions, disclosure, held);
    if has_older {
        // The oldest row only gave the next one its "before" values.
        entries.remove(0);
        revisions.remove(0);
    }
    if let (Some(oldest), Some(newest)) = (revisions.first(), revisions.last()) {
        let to = if page == 1 { i64::MAX } else { newest.version };
        let refused = conflicts::at_versions(&state.db, id.0, oldest.version, to).await?;
        entries.extend(
            refused
                .iter()
                .map(|entry| HistoryEntry::from_conflict(entry, disclosure, held)),
        );
    }
    HistoryEntry::sort(&mut entries);
    let view = HistoryPage {
        layout: Layout::new(format!("History of {}", isolated(&student.name)))
            .with_registrar(&registrar),
        id: student.id,
        name: student.name.clone(),
        deleted: student.deleted_at.is_some(),
        confidential: student.confidential,
        version: student.version,
        entries,
        newer_href: (page > 1).then(|| paths::history_page(student.id, page - 1)),
        older_href: has_older.then(|| paths::history_page(student.id, page + 1)),
        viewers: match registrar.role().may_manage_accounts() {
            true => Some(viewers::of_student(&state.db, student.id).await?),
            false => None,
        },
        chain_break: crate::audit::verify::first_break(&state.db, student.id).await?,
    };
    render(StatusCode::OK, &view)
}

/// The labels of a conflict entry's refused fields ("Name, Reason"), from
/// the words [`conflicts::record`] stores: the fields' names and `reason`.
fn refused_labels(refused: Option<&str>) -> Option<String> {
    let labels: Vec<&str> = refused?
        .split_whitespace()
        .filter_map(|word| match word {
            conflicts::REASON => Some("Reason"),
            field => Field::parse(field).map(Field::label),
        })
        .collect();
    (!labels.is_empty()).then(|| labels.join(", "))
}
