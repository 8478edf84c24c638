//! `registrar audit verify` and `registrar audit digest` (contract §15),
//! run as processes: revisions changed, removed, inserted and reordered by
//! hand in the database are each named by student and version with a
//! non-zero exit; a digest proves nothing up to it changed, later changes
//! do not break it, and a removed or altered cut does.

use std::process::Output;

use axum::http::StatusCode;
use registrar::db::entities::revision;
use registrar::students::store::columns::stored_chained;
use registrar::testing::{Backend, TestApp};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::cli::{registrar, stdout};
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    audit_verify_names_each_tampered_student_and_version,
    a_digest_proves_nothing_up_to_it_changed,
);

fn audit(app: &TestApp, args: &[&str]) -> Output {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    registrar(app, &all, "")
}

/// Students with versions 1 to 4 each (a create and three edits).
async fn students_with_four_versions(app: &TestApp, count: usize) -> Vec<i64> {
    let browser = app.signed_in_browser().await;
    let mut ids = Vec::new();
    for i in 0..count {
        let id = app
            .create_student(&browser, &format!("Student {i}"), "1 Main St", "3")
            .await;
        for gpa in ["3.10", "3.20", "3.30"] {
            app.edit_student(&browser, id, &[("gpa", gpa)])
                .await
                .assert_status(StatusCode::SEE_OTHER);
        }
        ids.push(id);
    }
    ids
}

async fn sql(app: &TestApp, statement: &str) {
    app.db
        .execute_unprepared(statement)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

async fn audit_verify_names_each_tampered_student_and_version(backend: Backend) {
    let app = spawn_app!(backend);
    let ids = students_with_four_versions(&app, 6).await;
    let intact = audit(&app, &["verify"]);
    assert!(intact.status.success(), "{intact:?}");
    assert_eq!(
        stdout(&intact),
        "every chain holds: 6 students, 24 revisions\n"
    );
    let [changed, removed, newest, inserted, reordered, untouched] = ids[..] else {
        panic!("six students");
    };
    // A value changed by hand.
    sql(
        &app,
        &format!(
            "UPDATE revisions SET gpa_hundredths = 400 WHERE student_id = {changed} AND version = 2"
        ),
    )
    .await;
    // A revision in the middle removed, and a newest one.
    sql(
        &app,
        &format!("DELETE FROM revisions WHERE student_id = {removed} AND version = 3"),
    )
    .await;
    sql(
        &app,
        &format!("DELETE FROM revisions WHERE student_id = {newest} AND version = 4"),
    )
    .await;
    // A revision added beyond the student's version (a copy of its newest).
    sql(
        &app,
        &format!(
            "INSERT INTO revisions (student_id, version, action, name, address, gpa_hundredths, \
             confidential, registrar, at, hash) \
             SELECT student_id, 5, action, name, address, gpa_hundredths, confidential, registrar, \
             at, hash FROM revisions WHERE student_id = {inserted} AND version = 4"
        ),
    )
    .await;
    // Versions 2 and 3 swapped.
    for (from, to) in [(2, -2), (3, 2), (-2, 3)] {
        sql(
            &app,
            &format!(
                "UPDATE revisions SET version = {to} WHERE student_id = {reordered} AND version = {from}"
            ),
        )
        .await;
    }

    let verified = audit(&app, &["verify"]);
    assert!(!verified.status.success(), "{verified:?}");
    let lines: Vec<String> = stdout(&verified)
        .lines()
        .map(|line| line.split(" (").next().unwrap().to_owned())
        .collect();
    assert_eq!(
        lines,
        [
            format!("student {changed} version 2: changed"),
            format!("student {removed} version 3: removed"),
            format!("student {newest} version 4: removed"),
            format!("student {inserted} version 5: inserted"),
            format!("student {reordered} version 2: reordered"),
            format!("student {reordered} version 3: reordered"),
        ],
        "{}",
        stdout(&verified)
    );
    let stderr = String::from_utf8_lossy(&verified.stderr);
    assert!(
        stderr.contains("the history was altered: 6 finding(s) in 5 record(s)"),
        "{stderr}"
    );

    // One student's chain.
    let one = audit(&app, &["verify", "--student", &untouched.to_string()]);
    assert!(one.status.success(), "{one:?}");
    assert_eq!(stdout(&one), "every chain holds: 1 students, 4 revisions\n");
    let one = audit(&app, &["verify", "--student", &changed.to_string()]);
    assert!(!one.status.success());
    assert!(stdout(&one).starts_with(&format!("student {changed} version 2: changed")));
    // A missing student: nothing to verify, and nothing broken.
    let nobody = audit(&app, &["verify", "--student", "999999"]);
    assert!(nobody.status.success(), "{nobody:?}");
    // Arguments it cannot read are refused clearly.
    let bad = audit(&app, &["verify", "--digest", "ABC"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("64 lowercase hexadecimal"));
    let both = audit(
        &app,
        &["verify", "--student", "1", "--digest", &"0".repeat(64)],
    );
    assert!(!both.status.success());
}

/// The digest `audit digest` printed (its only line on standard output).
fn digest_of(output: &Output) -> String {
    assert!(output.status.success(), "{output:?}");
    let printed = stdout(output);
    let hash = printed.trim().to_owned();
    assert!(
        hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{printed:?}"
    );
    hash
}

/// Rewrites student `id`'s version 1 name and then every hash of its chain
/// and its chain head, as an intruder who knows the encoding would: the
/// chains alone then hold.
async fn rewrite_consistently(app: &TestApp, id: i64) {
    let rows = revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .order_by_asc(revision::Column::Version)
        .all(&app.db)
        .await
        .unwrap();
    let mut previous = chain::GENESIS.to_owned();
    for mut row in rows {
        if row.version == 1 {
            row.name = "Someone Else".into();
        }
        let hash = stored_chained(&row, &row.action.to_string()).hash(&previous);
        sql(
            app,
            &format!(
                "UPDATE revisions SET name = '{}', hash = '{hash}' WHERE id = {}",
                row.name, row.id
            ),
        )
        .await;
        previous = hash;
    }
    sql(
        app,
        &format!("UPDATE students SET chain_head = '{previous}' WHERE id = {id}"),
    )
    .await;
}

async fn a_digest_proves_nothing_up_to_it_changed(backend: Backend) {
    let app = spawn_app!(backend);
    let ids = students_with_four_versions(&app, 3).await;
    let first = digest_of(&audit(&app, &["digest"]));
    // Later changes do not break it.
    let browser = app.signed_in_browser().await;
    app.edit_student(&browser, ids[0], &[("gpa", "3.90")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.create_student(&browser, "Later", "2 Main St", "2")
        .await;
    let holds = audit(&app, &["verify", "--digest", &first]);
    assert!(holds.status.success(), "{holds:?}");
    assert!(
        stdout(&holds).contains(&format!(
            "digest {first} holds: 3 chains, 12 revisions up to it"
        )),
        "{}",
        stdout(&holds)
    );

    // A consistent rewrite before the digest: the chains hold, the digest
    // does not.
    rewrite_consistently(&app, ids[1]).await;
    let chains = audit(&app, &["verify"]);
    assert!(chains.status.success(), "{chains:?}");
    let altered = audit(&app, &["verify", "--digest", &first]);
    assert!(!altered.status.success(), "{altered:?}");
    assert!(
        stdout(&altered).contains(&format!("digest {first}: altered")),
        "{}",
        stdout(&altered)
    );
    assert!(String::from_utf8_lossy(&altered.stderr).contains("does not hold"));

    // A digest whose cut lost a chain, or had a version changed, fails.
    let second = digest_of(&audit(&app, &["digest"]));
    assert!(
        audit(&app, &["verify", "--digest", &second])
            .status
            .success()
    );
    sql(
        &app,
        &format!(
            "DELETE FROM audit_digest_cuts WHERE student_id = {}",
            ids[2]
        ),
    )
    .await;
    assert!(
        !audit(&app, &["verify", "--digest", &second])
            .status
            .success()
    );
    let third = digest_of(&audit(&app, &["digest"]));
    sql(
        &app,
        &format!(
            "UPDATE audit_digest_cuts SET version = 3 WHERE student_id = {}",
            ids[0]
        ),
    )
    .await;
    assert!(
        !audit(&app, &["verify", "--digest", &third])
            .status
            .success()
    );
    // A digest removed altogether: nothing to verify it against.
    let fourth = digest_of(&audit(&app, &["digest"]));
    sql(&app, "DELETE FROM audit_digest_cuts").await;
    sql(&app, "DELETE FROM audit_digests").await;
    let gone = audit(&app, &["verify", "--digest", &fourth]);
    assert!(!gone.status.success());
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains(&format!("no digest {fourth} is stored")),
        "{gone:?}"
    );
}
