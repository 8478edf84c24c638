use chrono::Utc;

use super::*;
use crate::db::entities::revision::Action;
use crate::domain::Version;

fn student(version: i64, deleted: bool) -> Student {
    Student {
        id: 7,
        name: "Ada".into(),
        address: "1 Main St".into(),
        gpa_hundredths: 350,
        search_key: String::new(),
        student_number: None,
        confidential: false,
        version,
        chain_head: String::new(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
        updated_by: "grace".into(),
        deleted_at: deleted.then(Utc::now),
        deleted_by: deleted.then(|| "grace".into()),
    }
}

fn revision(version: i64, name: &str) -> Revision {
    Revision {
        id: version,
        student_id: 7,
        version,
        action: Action::Updated,
        name: name.into(),
        address: "1 Main St".into(),
        gpa_hundredths: 350,
        student_number: None,
        confidential: false,
        registrar: "grace".into(),
        at: Utc::now(),
        reason: None,
        submission: None,
        import_id: None,
        hash: String::new(),
    }
}

fn form(name: &str, gpa: &str) -> StudentForm {
    StudentForm {
        name: name.into(),
        address: "1 Main St".into(),
        gpa: gpa.into(),
        student_number: String::new(),
        confidential: String::new(),
    }
}

fn edit(seen: i64, values: &StudentForm) -> Act<'_> {
    Act::Edit {
        id: 7,
        seen: Version::new(seen),
        values,
    }
}

fn refusal(verdict: Verdict) -> Refusal {
    match verdict {
        Verdict::Refuse(refusal) => refusal,
        Verdict::Write(change, _) => panic!("written: {change:?}"),
    }
}

const NO_REASON: ReasonInput = Ok(None);

#[test]
fn an_edit_is_refused_in_order_gone_stale_invalid_unchanged() {
    let bad = form("", "9");
    let bad_reason: ReasonInput = Err("too long".into());
    assert_eq!(
        refusal(judge(&edit(1, &bad), &student(2, true), None, &NO_REASON)),
        Refusal::Gone
    );
    assert_eq!(
        refusal(judge(&edit(1, &bad), &student(2, false), None, &bad_reason)),
        Refusal::Stale
    );
    let Refusal::Invalid {
        errors,
        reason_error,
    } = refusal(judge(&edit(2, &bad), &student(2, false), None, &bad_reason))
    else {
        panic!("not invalid")
    };
    assert_eq!(errors.in_form_order().count(), 2);
    assert_eq!(reason_error.as_deref(), Some("too long"));
    let same = form(" Ada ", "3.5");
    assert_eq!(
        refusal(judge(&edit(2, &same), &student(2, false), None, &NO_REASON)),
        Refusal::Unchanged
    );
    let new = form("Ada Lovelace", "3.5");
    assert!(matches!(
        judge(&edit(2, &new), &student(2, false), None, &NO_REASON),
        Verdict::Write(Change::Values(v), None) if v.name.as_str() == "Ada Lovelace"
    ));
}

#[test]
fn a_delete_or_undelete_judges_the_version_before_the_reason() {
    let delete = Act::Delete {
        id: 7,
        seen: Version::new(1),
    };
    let bad_reason: ReasonInput = Err("bad".into());
    assert_eq!(
        refusal(judge(&delete, &student(2, false), None, &bad_reason)),
        Refusal::Stale
    );
    assert_eq!(
        refusal(judge(&delete, &student(1, true), None, &NO_REASON)),
        Refusal::Gone
    );
    assert!(matches!(
        judge(&delete, &student(1, false), None, &NO_REASON),
        Verdict::Write(Change::Delete, None)
    ));
    let undelete = Act::Undelete {
        id: 7,
        seen: Version::new(3),
    };
    assert_eq!(
        refusal(judge(&undelete, &student(4, true), None, &NO_REASON)),
        Refusal::Stale
    );
    assert_eq!(
        refusal(judge(&undelete, &student(3, false), None, &NO_REASON)),
        Refusal::NotDeleted
    );
    assert!(matches!(
        refusal(judge(&undelete, &student(3, true), None, &bad_reason)),
        Refusal::Invalid { .. }
    ));
    assert!(matches!(
        judge(&undelete, &student(3, true), None, &NO_REASON),
        Verdict::Write(Change::Undelete, None)
    ));
}

#[test]
fn a_restore_of_a_version_never_had_is_refused_stale_or_not() {
    let restore = Act::Restore {
        id: 7,
        seen: Version::new(1),
        revision: Version::new(9),
    };
    assert_eq!(
        refusal(judge(&restore, &student(2, false), None, &NO_REASON)),
        Refusal::NotAVersion
    );
    let old = revision(1, "Ada King");
    assert_eq!(
        refusal(judge(&restore, &student(2, false), Some(&old), &NO_REASON)),
        Refusal::Stale
    );
    assert_eq!(
        refusal(judge(&restore, &student(2, true), Some(&old), &NO_REASON)),
        Refusal::Gone
    );
    assert!(matches!(
        judge(&restore, &student(1, false), Some(&old), &NO_REASON),
        Verdict::Write(Change::Values(v), None) if v.name.as_str() == "Ada King"
    ));
    let current = revision(1, "Ada");
    assert_eq!(
        refusal(judge(
            &restore,
            &student(1, false),
            Some(&current),
            &NO_REASON
        )),
        Refusal::Unchanged
    );
}

#[test]
fn an_import_row_is_unchanged_when_it_equals_its_own_version() {
    let values = form("Ada King", "3.5").parse().unwrap();
    let current = student(3, false);
    assert_eq!(import_row(&values, None, None, None), RowOutcome::Create);
    assert_eq!(
        import_row(&values, Some(3), None, None),
        RowOutcome::Unknown
    );
    assert_eq!(
        import_row(&values, Some(4), Some(&current), None),
        RowOutcome::Invalid
    );
    assert_eq!(
        import_row(&values, Some(3), Some(&current), None),
        RowOutcome::Update
    );
    assert!(needs_revision(&values, 2, &current));
    let at_two = revision(2, "Ada King");
    assert_eq!(
        import_row(&values, Some(2), Some(&current), Some(&at_two)),
        RowOutcome::Unchanged
    );
    assert_eq!(
        import_row(&values, Some(2), Some(&current), Some(&revision(2, "X"))),
        RowOutcome::Conflict
    );
    assert_eq!(
        import_row(&values, Some(3), Some(&student(3, true)), None),
        RowOutcome::Deleted
    );
    let same = form("Ada", "3.5").parse().unwrap();
    assert_eq!(
        import_row(&same, Some(1), Some(&current), None),
        RowOutcome::Unchanged
    );
}
