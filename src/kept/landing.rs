//! Where a kept form is offered back, and where signing in leads an
//! account that has one.

use sea_orm::{ConnectionTrait, DbErr};

use super::store;
use crate::db::now;

/// A kept form's page: the form again, with what it carried.
pub fn path(id: i64) -> String {
    format!("/account/kept/{id}")
}

/// Where a kept form is discarded.
pub fn discard_path(id: i64) -> String {
    format!("/account/kept/{id}/discard")
}

/// The kept form a path (a sign-in's `next`) names, if it names one.
fn named(next: &str) -> Option<i64> {
    let id = next.strip_prefix("/account/kept/")?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// Where signing in leads account `registrar_id` instead of `next`, if
/// anywhere else: `next` stands when it names one of the account's kept
/// forms, or any other page. When it names none (it is empty, or names a
/// kept form that is another account's or no longer kept, which the
/// account must not even learn existed) the account lands on its newest
/// kept form it has not opened yet, else on the list.
pub async fn landing(
    db: &impl ConnectionTrait,
    registrar_id: i64,
    next: &str,
) -> Result<Option<String>, DbErr> {
    let at = now();
    let named = named(next);
    match named {
        Some(id) if store::find(db, id, registrar_id, at).await?.is_some() => return Ok(None),
        None if !next.is_empty() => return Ok(None),
        _ => {}
    }
    Ok(Some(
        match store::newest_unopened(db, registrar_id, at).await? {
            Some(kept) => path(kept.id),
            None => crate::students::paths::LIST.to_owned(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::{named, path};

    #[test]
    fn a_kept_form_is_named_by_its_path_only() {
        assert_eq!(named(&path(12)), Some(12));
        for other in [
            "",
            "/students",
            "/account/kept/",
            "/account/kept/1x",
            "/account/kept/1/discard",
        ] {
            assert_eq!(named(other), None, "{other:?}");
        }
    }
}
