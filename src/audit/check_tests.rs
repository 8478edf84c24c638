use chrono::{TimeZone, Utc};

use super::{Break, ChainCheck, Finding, Head};
use crate::db::entities::revision::{self, Action};
use crate::students::store::columns::stored_chained;

/// Revisions 1..=n of student 7, hashed as the write core hashes them.
fn chain(n: i64) -> Vec<revision::Model> {
    let mut previous = chain::GENESIS.to_owned();
    (1..=n)
        .map(|version| {
            let mut row = revision::Model {
                id: 100 + version,
                student_id: 7,
                version,
                action: Action::Updated,
                name: format!("Ada {version}"),
                address: "1 Main St".into(),
                gpa_hundredths: 350,
                student_number: None,
                confidential: false,
                registrar: "grace".into(),
                at: Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap(),
                reason: None,
                submission: None,
                import_id: None,
                hash: String::new(),
            };
            row.hash = stored_chained(&row, "updated").hash(&previous);
            previous = row.hash.clone();
            row
        })
        .collect()
}

fn found(rows: &[revision::Model], head_version: i64, head: &str) -> Vec<(i64, Finding)> {
    let mut breaks = Vec::new();
    let mut sink = |b: Break| breaks.push((b.version, b.finding));
    let mut check = ChainCheck::new(
        7,
        Some(Head {
            version: head_version,
            chain_head: head.to_owned(),
        }),
        None,
    );
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|r| (r.version, r.id));
    for row in &sorted {
        check.revision(row, &mut sink);
    }
    check.finish(&mut sink);
    breaks
}

#[test]
fn an_intact_chain_holds() {
    let rows = chain(5);
    assert_eq!(found(&rows, 5, &rows[4].hash), []);
}

#[test]
fn a_changed_value_is_found_at_its_version() {
    let mut rows = chain(5);
    rows[2].gpa_hundredths = 400;
    assert_eq!(found(&rows, 5, &rows[4].hash), [(3, Finding::Changed)]);
}

#[test]
fn a_removed_revision_and_a_removed_newest_are_found() {
    let rows = chain(5);
    let head = rows[4].hash.clone();
    let without_third: Vec<_> = rows.iter().filter(|r| r.version != 3).cloned().collect();
    assert_eq!(found(&without_third, 5, &head), [(3, Finding::Removed)]);
    assert_eq!(found(&rows[..4], 5, &head), [(5, Finding::Removed)]);
}

#[test]
fn an_inserted_revision_is_found() {
    let mut rows = chain(5);
    let head = rows[4].hash.clone();
    let mut extra = rows[4].clone();
    extra.id = 200;
    extra.version = 6;
    rows.push(extra);
    assert_eq!(found(&rows, 5, &head), [(6, Finding::Inserted)]);
}

#[test]
fn swapped_versions_are_found_as_reordered() {
    let mut rows = chain(5);
    let head = rows[4].hash.clone();
    rows[2].version = 4;
    rows[3].version = 3;
    assert_eq!(
        found(&rows, 5, &head),
        [(3, Finding::Reordered), (4, Finding::Reordered)]
    );
}

#[test]
fn a_chain_head_that_is_not_the_newest_hash_is_found() {
    let rows = chain(3);
    assert_eq!(found(&rows, 3, &rows[1].hash), [(3, Finding::Changed)]);
}
