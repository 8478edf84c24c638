//! Accounts in the browser (contract §9): admins add and change accounts under
//! the edit protocol; everyone changes their own password and ends their
//! own sessions.

use axum::http::StatusCode;
use registrar::accounts;
use registrar::db::entities::{account_change, login_failure, session};
use registrar::domain::Role;
use registrar::testing::{Backend, Browser, Outcomes, PASSWORD, REGISTRAR, TestApp, concurrently};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::roles::{OTHER_PASSWORD, VIEWER, create_account};
use crate::{on_every_backend, spawn_app};

on_every_backend!(
    an_admin_adds_accounts_which_sign_in_with_their_role,
    a_new_password_to_replace_leads_to_the_account_page_first,
    a_stale_account_form_is_a_conflict_that_says_what_changed,
    the_last_enabled_admin_cannot_be_disabled_or_demoted,
    disabling_or_setting_a_password_ends_the_accounts_sessions,
    changing_my_password_ends_my_other_sessions_not_this_one,
    a_session_ended_from_the_sessions_page_is_refused_on_another_instance,
    a_demoted_or_disabled_writer_is_refused_when_the_write_happens,
    a_demotion_committed_while_a_save_waits_for_the_row_is_seen_by_the_save,
    admins_changing_one_account_at_once_lose_no_change,
);

async fn account(app: &TestApp, username: &str) -> accounts::Account {
    accounts::find_by_username(&app.db, &username.to_ascii_lowercase())
        .await
        .unwrap()
        .expect("the account exists")
}

/// Opens the account's page and submits its role form with `role` and
/// `enabled`.
async fn set_access(
    admin: &Browser,
    username: &str,
    role: &str,
    enabled: &str,
) -> registrar::testing::Page {
    let path = format!("/accounts/{username}");
    let page = admin.get(&path).await;
    page.assert_status(StatusCode::OK);
    let mut form = page.form(&path);
    form.choose("role", role).choose("enabled", enabled);
    form.submit(admin).await
}

async fn an_admin_adds_accounts_which_sign_in_with_their_role(backend: Backend) {
    let app = spawn_app!(backend);
    let admin = app.signed_in_browser().await;
    let list = admin.get("/accounts").await;
    list.assert_status(StatusCode::OK);
    assert_eq!(list.text("td[data-role]").as_deref(), Some("admin"));

    let new = admin.get("/accounts/new").await;
    new.assert_status(StatusCode::OK);
    assert_eq!(
        new.form("/accounts").options("role").unwrap(),
        ["viewer", "registrar", "admin"]
    );
    // Invalid input: 422, the form again with the username kept.
    let mut form = new.form("/accounts");
    form.set("username", "bad name!").set("password", "short");
    let refused = form.submit(&admin).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("username").is_some());
    assert!(refused.field_error("password").is_some());
    assert_eq!(
        refused.form("/accounts").value("username"),
        Some("bad name!")
    );

    let mut form = new.form("/accounts");
    form.set("username", "Vera")
        .choose("role", "viewer")
        .set("password", OTHER_PASSWORD);
    form.submit(&admin)
        .await
        .assert_redirect_to("/accounts/Vera");
    let taken = {
        let mut form = new.form("/accounts");
        form.set("username", "VERA").set("password", OTHER_PASSWORD);
        form.submit(&admin).await
    };
    taken.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        taken
            .field_error("username")
            .unwrap()
            .contains("already exists")
    );

    let shown = admin.get("/accounts/vera").await;
    shown.assert_status(StatusCode::OK);
    assert_eq!(shown.text("dd[data-role]").as_deref(), Some("viewer"));
    let changes = shown.texts("table.changes tbody tr");
    assert!(
        changes
            .iter()
            .any(|c| c.contains(REGISTRAR) && c.contains("created as viewer")),
        "{changes:?}"
    );
    let vera = app.signed_in_as("vera", OTHER_PASSWORD).await;
    vera.get("/students").await.assert_status(StatusCode::OK);
    vera.get("/students/new")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    vera.get("/accounts")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // The list shows the last sign-in.
    let list = admin.get("/accounts").await;
    let rows = list.texts("table.accounts tbody tr");
    assert!(
        rows.iter().any(|r| r.contains("Vera") && r.contains("UTC")),
        "{rows:?}"
    );
}

async fn a_new_password_to_replace_leads_to_the_account_page_first(backend: Backend) {
    let app = spawn_app!(backend);
    let admin = app.signed_in_browser().await;
    let mut form = admin.get("/accounts/new").await.form("/accounts");
    form.set("username", "newbie")
        .choose("role", "registrar")
        .set("password", "a temporary password")
        .add("must_change_password", "yes");
    form.submit(&admin)
        .await
        .assert_redirect_to("/accounts/newbie");

    let newbie = app.browser();
    newbie
        .sign_in("newbie", "a temporary password")
        .await
        .assert_redirect_to("/account");
    // Nothing else until the password is theirs.
    newbie.get("/students").await.assert_redirect_to("/account");
    let page = newbie.get("/account").await;
    assert!(page.text("#must-change").is_some());
    let mut change = page.form("/account/password");
    change
        .set("current_password", "a temporary password")
        .set("password", "my very own password")
        .set("password_confirm", "my very own password");
    change.submit(&newbie).await.assert_redirect_to("/account");
    newbie.get("/students").await.assert_status(StatusCode::OK);
    assert!(!account(&app, "newbie").await.must_change_password);
}

async fn a_stale_account_form_is_a_conflict_that_says_what_changed(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    let first = app.signed_in_browser().await;
    let second = app.signed_in_browser().await;
    let path = format!("/accounts/{VIEWER}");
    let opened = second.get(&path).await;
    set_access(&first, VIEWER, "registrar", "true")
        .await
        .assert_redirect_to(&path);
    let mut stale = opened.form(&path);
    stale.choose("enabled", "false");
    let conflict = stale.submit(&second).await;
    conflict.assert_status(StatusCode::CONFLICT);
    let said = conflict.text("main").unwrap();
    assert!(
        said.contains("version 1") && said.contains("version 2"),
        "{said}"
    );
    assert!(
        said.contains("role viewer → registrar") && said.contains(REGISTRAR),
        "{said}"
    );
    let vera = account(&app, VIEWER).await;
    assert_eq!((vera.role, vera.version), (Role::Registrar, 2));
    assert!(vera.disabled_at.is_none(), "the stale form changed nothing");
    // A stale password form too.
    let mut stale_password = opened.form(&format!("{path}/password"));
    stale_password.set("password", "a password nobody saw");
    stale_password
        .submit(&second)
        .await
        .assert_status(StatusCode::CONFLICT);
    // Submitting the same values again is no change.
    let same = set_access(&first, VIEWER, "registrar", "true").await;
    same.assert_redirect_to(&path);
    assert_eq!(
        first.follow(&same).await.flash().as_deref(),
        Some("No changes")
    );
    // A form without its version is refused outright.
    first
        .post_with_token(&path, &[("role", "viewer"), ("enabled", "true")])
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    // A version not written exactly as a whole number (spaces around it)
    // is refused as the students' forms refuse it: as one that is no
    // number, with the same page, on both forms.
    let access = |version| {
        [
            ("role", "viewer"),
            ("enabled", "true"),
            ("version", version),
        ]
    };
    let no_number = first.post_with_token(&path, &access("two")).await;
    no_number.assert_status(StatusCode::BAD_REQUEST);
    let refusal = no_number.text("main").unwrap();
    for version in [" 2 ", "2 ", " 2"] {
        let spaced = first.post_with_token(&path, &access(version)).await;
        spaced.assert_status(StatusCode::BAD_REQUEST);
        assert_eq!(spaced.text("main").unwrap(), refusal, "{version:?}");
        let fields = [("password", "a password nobody saw"), ("version", version)];
        let password = first
            .post_with_token(&format!("{path}/password"), &fields)
            .await;
        password.assert_status(StatusCode::BAD_REQUEST);
        assert_eq!(password.text("main").unwrap(), refusal, "{version:?}");
    }
    assert_eq!(account(&app, VIEWER).await.version, 2);
}

async fn the_last_enabled_admin_cannot_be_disabled_or_demoted(backend: Backend) {
    let app = spawn_app!(backend);
    let admin = app.signed_in_browser().await;
    for (role, enabled) in [
        ("viewer", "true"),
        ("registrar", "true"),
        ("admin", "false"),
    ] {
        let refused = set_access(&admin, REGISTRAR, role, enabled).await;
        refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .text("#account-problem")
                .unwrap()
                .contains("last enabled admin")
        );
    }
    let me = account(&app, REGISTRAR).await;
    assert_eq!((me.role, me.version), (Role::Admin, 1));
    assert!(me.disabled_at.is_none());

    // With a second admin, the first may step down; then the second is the last.
    create_account(&app, "second", OTHER_PASSWORD, Role::Admin).await;
    set_access(&admin, REGISTRAR, "registrar", "true")
        .await
        .assert_redirect_to(&format!("/accounts/{REGISTRAR}"));
    // No longer an admin: the account pages are closed to this session at once.
    admin
        .get("/accounts")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let second = app.signed_in_as("second", OTHER_PASSWORD).await;
    set_access(&second, "second", "admin", "false")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // A disabled admin does not count: disabling "second" is refused even
    // when a disabled admin exists.
    create_account(&app, "dormant", OTHER_PASSWORD, Role::Admin).await;
    set_access(&second, "dormant", "admin", "false")
        .await
        .assert_redirect_to("/accounts/dormant");
    set_access(&second, "second", "viewer", "true")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

async fn disabling_or_setting_a_password_ends_the_accounts_sessions(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    let admin = app.signed_in_browser().await;
    let vera = app.signed_in_as(VIEWER, OTHER_PASSWORD).await;
    vera.get("/students").await.assert_status(StatusCode::OK);

    let path = format!("/accounts/{VIEWER}");
    let mut form = admin.get(&path).await.form(&format!("{path}/password"));
    form.set("password", "a password set by the admin")
        .remove("must_change_password");
    form.submit(&admin).await.assert_redirect_to(&path);
    vera.get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
    let vera = app
        .signed_in_as(VIEWER, "a password set by the admin")
        .await;

    set_access(&admin, VIEWER, "viewer", "false")
        .await
        .assert_redirect_to(&path);
    vera.get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
    app.browser()
        .sign_in(VIEWER, "a password set by the admin")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let id = account(&app, VIEWER).await.id;
    assert_eq!(
        session::Entity::find()
            .filter(session::Column::RegistrarId.eq(id))
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    // Each change is recorded: who, what.
    let recorded: Vec<_> = account_change::Entity::find()
        .filter(account_change::Column::RegistrarId.eq(id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.actor, c.action))
        .collect();
    for action in ["password", "disabled"] {
        assert!(
            recorded.contains(&(REGISTRAR.to_owned(), action.to_owned())),
            "{recorded:?}"
        );
    }
    set_access(&admin, VIEWER, "viewer", "true")
        .await
        .assert_redirect_to(&path);
    app.signed_in_as(VIEWER, "a password set by the admin")
        .await;
}

async fn changing_my_password_ends_my_other_sessions_not_this_one(backend: Backend) {
    let app = spawn_app!(backend);
    let here = app.signed_in_browser().await;
    let elsewhere = app.signed_in_browser().await;
    let page = here.get("/account").await;
    assert_eq!(page.texts("table.sessions tbody tr").len(), 2);

    // A wrong current password: 422, and it counts as a failed sign-in.
    let mut wrong = page.form("/account/password");
    wrong
        .set("current_password", "not my password")
        .set("password", "a brand new password")
        .set("password_confirm", "a brand new password");
    let refused = wrong.submit(&here).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("current_password").is_some());
    assert_eq!(
        login_failure::Entity::find()
            .filter(login_failure::Column::UsernameKey.eq(REGISTRAR))
            .count(&app.db)
            .await
            .unwrap(),
        1
    );
    let mut mismatch = page.form("/account/password");
    mismatch
        .set("current_password", PASSWORD)
        .set("password", "a brand new password")
        .set("password_confirm", "a different new password");
    mismatch
        .submit(&here)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    elsewhere
        .get("/students")
        .await
        .assert_status(StatusCode::OK);

    let mut change = page.form("/account/password");
    change
        .set("current_password", PASSWORD)
        .set("password", "a brand new password")
        .set("password_confirm", "a brand new password");
    let done = change.submit(&here).await;
    done.assert_redirect_to("/account");
    here.get("/students").await.assert_status(StatusCode::OK);
    elsewhere
        .get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
    app.browser()
        .sign_in(REGISTRAR, PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.signed_in_as(REGISTRAR, "a brand new password").await;
}

async fn a_session_ended_from_the_sessions_page_is_refused_on_another_instance(backend: Backend) {
    let first = spawn_app!(backend);
    let second = first.another_instance().await;
    let here = first.signed_in_browser().await;
    let lost_laptop = first.signed_in_browser().await;
    let on_second = format!("{}/students", second.base_url);
    lost_laptop
        .get(&on_second)
        .await
        .assert_status(StatusCode::OK);

    let page = here.get("/account").await;
    let others: Vec<_> = page
        .forms()
        .into_iter()
        .filter(|f| f.action.starts_with("/account/sessions/") && f.action.ends_with("/end"))
        .collect();
    assert_eq!(others.len(), 2);
    let this_one = page.text("tr.this-session").unwrap();
    assert!(this_one.contains("(this session)"));
    let mine = page.attr("tr.this-session", "data-session").unwrap();
    let other = others
        .iter()
        .find(|f| !f.action.contains(&mine))
        .expect("the other session's form");
    other.submit(&here).await.assert_redirect_to("/account");
    // Refused at once on the other instance, which never saw the sign-out.
    lost_laptop
        .get(&on_second)
        .await
        .assert_redirect_to("/login?next=/students");
    here.get("/students").await.assert_status(StatusCode::OK);

    // "Sign out everywhere else" ends every other session, on any instance.
    let third = first.signed_in_browser().await;
    third.get(&on_second).await.assert_status(StatusCode::OK);
    here.get("/account")
        .await
        .form("/account/sessions/end-others")
        .submit(&here)
        .await
        .assert_redirect_to("/account");
    third
        .get(&on_second)
        .await
        .assert_redirect_to("/login?next=/students");
    here.get("/students").await.assert_status(StatusCode::OK);
    // An unknown session is not found; one's own is signing out.
    here.post_with_token("/account/sessions/ffffffffffffffff/end", &[])
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let own = here.get("/account").await;
    let own_form = own.form(&format!("/account/sessions/{mine}/end"));
    own_form.submit(&here).await.assert_redirect_to("/login");
    here.get("/students")
        .await
        .assert_redirect_to("/login?next=/students");
}

async fn a_demoted_or_disabled_writer_is_refused_when_the_write_happens(backend: Backend) {
    let app = spawn_app!(backend);
    create_account(&app, "clerk", OTHER_PASSWORD, Role::Registrar).await;
    let admin = app.signed_in_browser().await;
    let id = app.create_student(&admin, "Ada", "1 Main St", "3.5").await;
    let clerk = app.signed_in_as("clerk", OTHER_PASSWORD).await;
    let path = format!("/students/{id}");
    let edit = clerk.get(&format!("{path}/edit")).await;
    edit.assert_status(StatusCode::OK);
    let confirm = clerk.get(&format!("{path}/delete")).await;
    confirm.assert_status(StatusCode::OK);

    set_access(&admin, "clerk", "viewer", "true")
        .await
        .assert_redirect_to("/accounts/clerk");
    let mut form = edit.form(&path);
    form.set("name", "Ada Lovelace");
    form.submit(&clerk)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    confirm
        .form(&format!("{path}/delete"))
        .submit(&clerk)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let student = crate::db_checks::student(&app.db, id).await;
    assert_eq!((student.name.as_str(), student.version), ("Ada", 1));

    // Promoted again, the same form saves.
    set_access(&admin, "clerk", "registrar", "true")
        .await
        .assert_redirect_to("/accounts/clerk");
    form.submit(&clerk).await.assert_redirect_to(&path);
    assert_eq!(crate::db_checks::student(&app.db, id).await.version, 2);
}

/// The role is checked again inside the write's own transaction, after it
/// holds the row: a demotion (or a disable) that commits while the save
/// waits is seen, though the save passed the route's check before it.
async fn a_demotion_committed_while_a_save_waits_for_the_row_is_seen_by_the_save(backend: Backend) {
    use registrar::db::entities::registrar as account_entity;
    use sea_orm::sea_query::Expr;

    let app = spawn_app!(backend);
    create_account(&app, "clerk", OTHER_PASSWORD, Role::Registrar).await;
    let admin = app.signed_in_browser().await;
    let id = app.create_student(&admin, "Ada", "1 Main St", "3.5").await;
    for disable in [false, true] {
        let clerk = app.signed_in_as("clerk", OTHER_PASSWORD).await;
        let path = format!("/students/{id}");
        let mut form = clerk.get(&format!("{path}/edit")).await.form(&path);
        form.set("name", "Ada Lovelace");

        let holder = crate::db_checks::hold_lock(&app.db, id).await;
        let update = if disable {
            account_entity::Entity::update_many().col_expr(
                account_entity::Column::DisabledAt,
                Expr::value(Some(registrar::db::now())),
            )
        } else {
            account_entity::Entity::update_many()
                .col_expr(account_entity::Column::Role, Expr::value(Role::Viewer))
        };
        update
            .filter(account_entity::Column::UsernameKey.eq("clerk"))
            .exec(&holder)
            .await
            .unwrap();
        let save = tokio::spawn(async move { form.submit(&clerk).await });
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        holder.commit().await.unwrap();
        let answer = save.await.unwrap();
        answer.assert_status(StatusCode::FORBIDDEN);
        let student = crate::db_checks::student(&app.db, id).await;
        assert_eq!((student.name.as_str(), student.version), ("Ada", 1));
        // Restore the clerk for the next round.
        account_entity::Entity::update_many()
            .col_expr(account_entity::Column::Role, Expr::value(Role::Registrar))
            .col_expr(
                account_entity::Column::DisabledAt,
                Expr::value(None::<chrono::DateTime<chrono::Utc>>),
            )
            .filter(account_entity::Column::UsernameKey.eq("clerk"))
            .exec(&app.db)
            .await
            .unwrap();
    }
}

/// Admins saving one account's form at the same moment, each flipping the
/// role the form shows: every answer is a save (`303`) or a conflict
/// (`409`), and the account's version − 1 = the saves = its recorded changes.
async fn admins_changing_one_account_at_once_lose_no_change(backend: Backend) {
    const ADMINS: usize = 4;
    const ROUNDS: usize = 6;
    let app = spawn_app!(backend);
    create_account(&app, VIEWER, OTHER_PASSWORD, Role::Viewer).await;
    let before = account(&app, VIEWER).await;
    let changes_before = changes_to(&app, before.id).await;
    let admins = app.signed_in_browsers(ADMINS).await;
    let path = format!("/accounts/{VIEWER}");
    let outcomes = concurrently(ADMINS, |i, start| {
        let admin = admins[i].clone();
        let path = path.clone();
        async move {
            let mut outcomes = Outcomes::default();
            start.wait().await;
            for _ in 0..ROUNDS {
                let page = admin.get(&path).await;
                page.assert_status(StatusCode::OK);
                let mut form = page.form(&path);
                let flipped = match form.value("role") {
                    Some("viewer") => "registrar",
                    _ => "viewer",
                };
                form.choose("role", flipped);
                outcomes.record(form.submit(&admin).await.status);
            }
            outcomes
        }
    })
    .await;
    assert_eq!(outcomes.total(), (ADMINS * ROUNDS) as u64);
    assert!(
        outcomes
            .others(&[StatusCode::SEE_OTHER, StatusCode::CONFLICT])
            .is_empty(),
        "only saves and conflicts: {outcomes:?}"
    );
    let saves = outcomes.count(StatusCode::SEE_OTHER);
    assert!(saves >= 1, "{outcomes:?}");
    eprintln!("{backend:?}: one account, {ADMINS} admins: {outcomes:?}");
    let vera = account(&app, VIEWER).await;
    let changes = changes_to(&app, vera.id).await - changes_before;
    assert_eq!(
        (vera.version - before.version, changes),
        (saves as i64, saves),
        "versions gained = saves = recorded changes: {outcomes:?}"
    );
}

async fn changes_to(app: &TestApp, account: i64) -> u64 {
    account_change::Entity::find()
        .filter(account_change::Column::RegistrarId.eq(account))
        .count(&app.db)
        .await
        .unwrap()
}
