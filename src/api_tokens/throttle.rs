//! Throttling wrong API tokens per client address (contract §13), on a
//! counter of their own: `api_token_failures`, shared by every instance,
//! never the sign-in page's `login_failures`. So a campus NAT full of
//! scripts with a stale token is slowed down on the API and never locks
//! anyone behind it out of the sign-in page.
//!
//! Only wrong tokens count, and only they are refused: a right token is
//! looked up before the counter is read and always gets in. Letting it in
//! gives a guesser nothing (a token holds 256 random bits: no number of
//! guesses finds one), and one broken script behind a NAT does not stop
//! the good ones beside it. What the throttle bounds is the work and the
//! rows a flood of wrong tokens costs: past the limit, a wrong token is
//! answered `429` with `Retry-After` and not written down.
//!
//! The count and the write are not one transaction: wrong tokens arriving
//! at the same instant may each be counted past the limit by a few, which
//! costs a few rows and gives nothing (see above).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::auth::TokenThrottle;
use crate::cluster::retry;
use crate::db::entities::api_token_failure;
use crate::db::now;

/// Counts a wrong token from `client`: `Ok(())` when it is answered `401`,
/// `Err(seconds)` when the address has reached its limit and must wait
/// that long (`429`, `Retry-After`).
pub async fn count_wrong(
    db: &impl ConnectionTrait,
    throttle: &TokenThrottle,
    client: &str,
) -> Result<Result<(), u64>, DbErr> {
    let at = now();
    let window = window(throttle);
    let recent = api_token_failure::Entity::find()
        .filter(api_token_failure::Column::ClientAddr.eq(client))
        .filter(api_token_failure::Column::At.gt(at - window));
    if recent.clone().count(db).await? >= throttle.per_client {
        // Free when the limit-th most recent failure leaves the window.
        let limiting = recent
            .order_by_desc(api_token_failure::Column::At)
            .order_by_desc(api_token_failure::Column::Id)
            .offset(throttle.per_client.saturating_sub(1))
            .limit(1)
            .one(db)
            .await?;
        return Ok(Err(limiting.map_or(1, |f| seconds_until(f.at + window, at))));
    }
    retry::write("wrong token counted", || {
        api_token_failure::Entity::insert(api_token_failure::ActiveModel {
            id: NotSet,
            client_addr: Set(client.to_owned()),
            at: Set(at),
        })
        .exec_without_returning(db)
    })
    .await?;
    Ok(Ok(()))
}

/// Whole seconds from `at` to `free_at`, rounded up, at least 1: a client
/// that waits this long is counted afresh.
fn seconds_until(free_at: DateTime<Utc>, at: DateTime<Utc>) -> u64 {
    let micros = (free_at - at).num_microseconds().unwrap_or(0).max(0);
    u64::try_from((micros + 999_999) / 1_000_000)
        .unwrap_or(1)
        .max(1)
}

fn window(throttle: &TokenThrottle) -> chrono::Duration {
    chrono::Duration::from_std(throttle.window).unwrap_or(chrono::Duration::minutes(10))
}

/// Deletes wrong tokens no window counts any more.
pub async fn sweep(db: &impl ConnectionTrait, throttle: &TokenThrottle) -> Result<u64, DbErr> {
    let deleted = api_token_failure::Entity::delete_many()
        .filter(api_token_failure::Column::At.lte(now() - window(throttle)))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::seconds_until;

    #[test]
    fn the_wait_is_rounded_up_to_whole_seconds() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
        assert_eq!(seconds_until(at + Duration::milliseconds(1), at), 1);
        assert_eq!(seconds_until(at + Duration::milliseconds(1_001), at), 2);
        assert_eq!(seconds_until(at + Duration::seconds(600), at), 600);
        assert_eq!(seconds_until(at - Duration::seconds(5), at), 1);
    }
}
