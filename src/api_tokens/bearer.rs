//! Reading a request's bearer token and finding whom it stands for.
//!
//! Only the `Authorization` header is read (RFC 6750 §2.1: `Bearer`, any
//! case, then the token); never a cookie, never the query. The token is
//! looked up by its SHA-256, with its account, in one query; it stands for
//! its account while it is not revoked, not expired and the account is
//! enabled, with the account's role now, capped by the token's.

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::store::ApiToken;
use crate::accounts::Account;
use crate::auth::tokens::digest;
use crate::db::entities::{api_token, registrar};
use crate::db::now;
use crate::domain::Role;

/// "Last used" moves at most this often per token: a token used all day
/// costs one write a minute, not one per request.
pub const LAST_USE_STEP: chrono::Duration = chrono::Duration::minutes(1);

/// The longest token read; ours are far shorter.
const MAX_TOKEN_CHARS: usize = 256;

/// What a request's `Authorization` header holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// No `Authorization` header, or one of another scheme: no token was
    /// offered (a browser's request with only its cookie lands here).
    None,
    /// A bearer token that cannot be one (several `Authorization` headers,
    /// no token, characters outside RFC 6750's `b64token`): a wrong token.
    Malformed,
    Bearer(&'a str),
}

/// Reads the request's one `Authorization` header.
pub fn credential(headers: &HeaderMap) -> Credential<'_> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return if headers.contains_key(header::AUTHORIZATION) {
            Credential::Malformed
        } else {
            Credential::None
        };
    };
    let Ok(value) = value.to_str() else {
        return Credential::Malformed;
    };
    let value = value.trim_matches([' ', '\t']);
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Credential::None;
    }
    let token = rest.trim_start_matches([' ', '\t']);
    if is_b64token(token) {
        Credential::Bearer(token)
    } else {
        Credential::Malformed
    }
}

/// RFC 6750's `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
/// "+" / "/" ) *"="`, here at most [`MAX_TOKEN_CHARS`].
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && token.len() <= MAX_TOKEN_CHARS
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// A token that stands for its account now.
#[derive(Debug, Clone)]
pub struct Holder {
    pub token: ApiToken,
    pub account: Account,
    /// The account's role now, capped by the token's.
    pub role: Role,
}

/// Whom `token` stands for now, if anyone; notes its use (see
/// [`LAST_USE_STEP`]).
pub async fn authenticate(db: &impl ConnectionTrait, token: &str) -> Result<Option<Holder>, DbErr> {
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(digest(token)))
        .find_also_related(registrar::Entity)
        .one(db)
        .await?;
    let Some((token, Some(account))) = found else {
        return Ok(None);
    };
    let at = now();
    if !is_live(&token, &account, at) {
        return Ok(None);
    }
    if token
        .last_used_at
        .is_none_or(|last| at - last >= LAST_USE_STEP)
    {
        note_use(db, token.id, at).await;
    }
    let role = token
        .role
        .map_or(account.role, |cap| Ord::min(cap, account.role));
    Ok(Some(Holder {
        token,
        account,
        role,
    }))
}

fn is_live(token: &ApiToken, account: &Account, at: DateTime<Utc>) -> bool {
    token.revoked_at.is_none()
        && token.expires_at.is_none_or(|end| at < end)
        && account.disabled_at.is_none()
}

/// Notes that the token was used at `at`, unless another request noted a
/// use within the step meanwhile (the guard makes concurrent requests, on
/// any instance, write at most once). A failure loses only the note.
async fn note_use(db: &impl ConnectionTrait, id: i64, at: DateTime<Utc>) {
    let noted = api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(Some(at)))
        .filter(api_token::Column::Id.eq(id))
        .filter(
            Expr::col(api_token::Column::LastUsedAt)
                .is_null()
                .or(Expr::col(api_token::Column::LastUsedAt).lte(at - LAST_USE_STEP)),
        )
        .exec(db)
        .await;
    if let Err(err) = noted {
        tracing::warn!(error = %err, token = id, "could not note an API token's use");
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::{Credential, credential};

    fn with(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        for value in ["Bearer abc", "bearer abc", "BEARER  abc", "Bearer abc "] {
            assert_eq!(
                credential(&with(&[value])),
                Credential::Bearer("abc"),
                "{value:?}"
            );
        }
        assert_eq!(
            credential(&with(&["Bearer rgt_a-b_c.d~e+f/g=="])),
            Credential::Bearer("rgt_a-b_c.d~e+f/g==")
        );
    }

    #[test]
    fn no_header_or_another_scheme_offers_no_token() {
        assert_eq!(credential(&HeaderMap::new()), Credential::None);
        assert_eq!(credential(&with(&["Basic YWRhOnB3"])), Credential::None);
        assert_eq!(credential(&with(&["Bearerabc"])), Credential::None);
    }

    #[test]
    fn a_bearer_token_that_cannot_be_one_is_malformed() {
        for value in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a,b",
            "Bearer ===",
            "Bearer \"abc\"",
        ] {
            assert_eq!(
                credential(&with(&[value])),
                Credential::Malformed,
                "{value:?}"
            );
        }
        let long = format!("Bearer {}", "a".repeat(257));
        assert_eq!(credential(&with(&[&long])), Credential::Malformed);
        assert_eq!(
            credential(&with(&["Bearer abc", "Bearer abc"])),
            Credential::Malformed
        );
    }
}
