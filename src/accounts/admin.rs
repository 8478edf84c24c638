//! `/accounts…`: admins list, add and change accounts (contract §9).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::DatabaseConnection;

use super::account::{self as accounts, Account};
use super::admin_forms::{AccountForm, NewAccountForm, PasswordForm, seen_version};
use super::admin_views::{AccountPage, AccountRow, AccountsPage, NewAccountPage, StaleAccountPage};
use super::changes::{self, Actor};
use super::create::{self, CreateError, NewAccount};
use super::store::{self, Change, ChangeOutcome};
use crate::auth::{SignedIn, password};
use crate::domain::Role;
use crate::domain::{NewPassword, Username};
use crate::error::AppError;
use crate::http::flash::{Flash, PendingFlash};
use crate::http::form::Form;
use crate::http::redirect::see_other_with;
use crate::state::AppState;
use crate::views::{Layout, render};

pub(super) fn admin<'a>(registrar: &'a SignedIn) -> Actor<'a> {
    Actor::Admin {
        id: registrar.id,
        username: registrar.username(),
    }
}

/// The account the `{username}` segment of an admin page's path names
/// ([`super::path`]), by its username in any case; a name no account has,
/// or no username could be, is `404`.
pub async fn named_in_path(db: &DatabaseConnection, segment: &str) -> Result<Account, AppError> {
    let key = Username::parse(super::username_in_path(segment))
        .map_err(|_| AppError::NotFound)?
        .key();
    accounts::find_by_username(db, &key)
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /accounts`
pub async fn list(
    State(state): State<AppState>,
    registrar: SignedIn,
    PendingFlash(flash): PendingFlash,
) -> Result<Response, AppError> {
    let rows = accounts::list(&state.db)
        .await?
        .into_iter()
        .map(AccountRow::from)
        .collect();
    render(
        StatusCode::OK,
        &AccountsPage {
            layout: Layout::new("Accounts")
                .with_registrar(&registrar)
                .with_flash(flash),
            rows,
        },
    )
}

/// `GET /accounts/new`
pub async fn new_form(registrar: SignedIn) -> Result<Response, AppError> {
    render(
        StatusCode::OK,
        &NewAccountPage::new(&registrar, NewAccountForm::default(), Vec::new()),
    )
}

/// `POST /accounts`
pub async fn create(
    State(state): State<AppState>,
    registrar: SignedIn,
    Form(form): Form<NewAccountForm>,
) -> Result<Response, AppError> {
    let mut errors = Vec::new();
    let username = Username::parse_new(&form.username).map_err(|m| errors.push(("username", m)));
    let role =
        Role::parse(&form.role).ok_or_else(|| errors.push(("role", "Choose a role".to_owned())));
    let new_password = NewPassword::parse(&form.password).map_err(|m| errors.push(("password", m)));
    let (Ok(username), Ok(role), Ok(new_password)) = (username, role, new_password) else {
        return invalid(&registrar, form, errors);
    };
    let account = NewAccount {
        username: &username,
        password_hash: password::hash(&new_password)
            .await
            .map_err(|err| AppError::Internal(err.to_string()))?,
        role,
        must_change_password: form.must_change_password.is_some(),
    };
    match create::create_account(&state.db, &account, &admin(&registrar)).await {
        Ok(created) => {
            tracing::info!(admin = %registrar.username(), account = %created.username, "account created");
            Ok(see_other_with(
                &super::path(&created.username),
                Flash::AccountCreated,
            ))
        }
        Err(CreateError::UsernameTaken) => {
            let message = "An account with this username already exists (usernames ignore case)";
            invalid(&registrar, form, vec![("username", message.to_owned())])
        }
        Err(CreateError::Refused(err)) => Err(err.into()),
        Err(CreateError::Database(err)) => Err(err.into()),
    }
}

fn invalid(
    registrar: &SignedIn,
    mut form: NewAccountForm,
    errors: Vec<(&'static str, String)>,
) -> Result<Response, AppError> {
    form.password.clear();
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &NewAccountPage::new(registrar, form, errors),
    )
}

/// `GET /accounts/{username}`
pub async fn show(
    State(state): State<AppState>,
    registrar: SignedIn,
    PendingFlash(flash): PendingFlash,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let account = named_in_path(&state.db, &username).await?;
    let page = account_page(&state, &registrar, account, None).await?;
    render(StatusCode::OK, &page.with_flash(flash))
}

pub(super) async fn account_page(
    state: &AppState,
    registrar: &SignedIn,
    account: Account,
    problem: Option<String>,
) -> Result<AccountPage, AppError> {
    let history = changes::newest(&state.db, account.id, 100).await?;
    let tokens = crate::api_tokens::views::rows(&state.db, account.id).await?;
    let two_factor = crate::two_factor::store::find(&state.db, account.id).await?;
    let method = super::sign_in_method::SignInMethod::of(&state.db, &state.auth, &account).await?;
    let mut page = AccountPage::new(registrar, account, history, problem);
    page.tokens = tokens;
    page.two_factor_since = two_factor.map(|on| crate::views::Instant::from(on.enabled_at));
    page.link_offered = state.oidc.is_some() && method.university.is_none();
    page.sign_in = method.describe();
    Ok(page)
}

/// `POST /accounts/{username}`: role and enabled state.
pub async fn update(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path(username): Path<String>,
    Form(form): Form<AccountForm>,
) -> Result<Response, AppError> {
    let seen = seen_version(&form.version)?;
    let account = named_in_path(&state.db, &username).await?;
    let enabled = match form.enabled.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    let (Some(role), Some(enabled)) = (Role::parse(&form.role), enabled) else {
        let page = account_page(
            &state,
            &registrar,
            account,
            Some("Choose a role and whether the account is enabled.".to_owned()),
        )
        .await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let change = Change::RoleAndEnabled { role, enabled };
    let outcome = store::change(
        &state.db,
        &admin(&registrar),
        &account.username_key,
        Some(seen),
        change,
    )
    .await?;
    answer(&state, &registrar, outcome, seen).await
}

/// `POST /accounts/{username}/password`: sets a new password and ends the
/// account's sessions.
pub async fn set_password(
    State(state): State<AppState>,
    registrar: SignedIn,
    Path(username): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let seen = seen_version(&form.version)?;
    let account = named_in_path(&state.db, &username).await?;
    if account.id == registrar.id {
        // Setting a password here asks for no current one: an admin's own
        // is changed on /account, where it is asked (a session left open is
        // no way to take over the account).
        return Ok(see_other_with("/account", Flash::OwnPasswordHere));
    }
    let new_password = match NewPassword::parse(&form.password) {
        Ok(password) => password,
        Err(message) => {
            let page = account_page(&state, &registrar, account, Some(message)).await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let change = Change::Password {
        hash: password::hash(&new_password)
            .await
            .map_err(|err| AppError::Internal(err.to_string()))?,
        must_change: form.must_change_password.is_some(),
    };
    let outcome = store::change(
        &state.db,
        &admin(&registrar),
        &account.username_key,
        Some(seen),
        change,
    )
    .await?;
    answer(&state, &registrar, outcome, seen).await
}

async fn answer(
    state: &AppState,
    registrar: &SignedIn,
    outcome: ChangeOutcome,
    seen: i64,
) -> Result<Response, AppError> {
    match outcome {
        ChangeOutcome::Saved(account) => {
            tracing::info!(admin = %registrar.username(), account = %account.username, "account changed");
            Ok(see_other_with(
                &super::path(&account.username),
                Flash::Saved,
            ))
        }
        ChangeOutcome::Unchanged(account) => Ok(see_other_with(
            &super::path(&account.username),
            Flash::NoChanges,
        )),
        ChangeOutcome::Stale { current, missed } => render(
            StatusCode::CONFLICT,
            &StaleAccountPage::new(registrar, current, missed, seen),
        ),
        ChangeOutcome::LastAdmin(account) => {
            let problem = "This is the last enabled admin: it cannot be disabled or given another role. Make another account an admin first.";
            let page = account_page(state, registrar, account, Some(problem.to_owned())).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        ChangeOutcome::NotFound => Err(AppError::NotFound),
    }
}
