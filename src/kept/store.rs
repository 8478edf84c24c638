//! The `kept_forms` table: what record forms posted by ended sessions
//! carried, each row its account's alone, for [`KEPT_FOR`]; an account
//! keeps its newest [`PER_ACCOUNT`].

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::form::Carried;
use crate::auth::ended;
use crate::cluster::retry;
use crate::db::begin_write;
use crate::db::entities::kept_form::{self, EndCause};

/// How long a kept form is offered back.
pub const KEPT_FOR: chrono::Duration = chrono::Duration::hours(24);

/// The most forms one account keeps: a newer one pushes out the oldest.
pub const PER_ACCOUNT: u64 = 20;

/// Keeps what `carried` for account `registrar_id`, whose session had
/// ended for `ended_by`; returns the kept form's id.
pub async fn keep(
    db: &DatabaseConnection,
    registrar_id: i64,
    carried: &Carried,
    ended_by: EndCause,
    at: DateTime<Utc>,
) -> Result<i64, DbErr> {
    retry::write("form kept", || async move {
        let txn = begin_write(db).await?;
        let row = kept_form::ActiveModel {
            registrar_id: Set(registrar_id),
            action: Set(carried.action),
            student_id: Set(carried.student_id),
            version: Set(carried.version.map(|v| v.get())),
            revision: Set(carried.revision.map(|v| v.get())),
            fields: Set(carried.encoded_values()),
            reason: Set(carried.reason.clone()),
            ended_by: Set(ended_by),
            kept_at: Set(at),
            opened_at: Set(None),
            ..Default::default()
        };
        let id = kept_form::Entity::insert(row)
            .exec(&txn)
            .await?
            .last_insert_id;
        let beyond: Vec<i64> = kept_form::Entity::find()
            .select_only()
            .column(kept_form::Column::Id)
            .filter(kept_form::Column::RegistrarId.eq(registrar_id))
            .order_by_desc(kept_form::Column::Id)
            .offset(PER_ACCOUNT)
            // MariaDB takes no OFFSET without a LIMIT; rows beyond the
            // bound are one or two (one is kept at a time).
            .limit(1_000)
            .into_tuple()
            .all(&txn)
            .await?;
        if !beyond.is_empty() {
            kept_form::Entity::delete_many()
                .filter(kept_form::Column::Id.is_in(beyond))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(id)
    })
    .await
}

/// Kept form `id`, if it is account `registrar_id`'s and still kept at
/// `at`. (Another account's is `None`, exactly like one that never was.)
pub async fn find(
    db: &impl ConnectionTrait,
    id: i64,
    registrar_id: i64,
    at: DateTime<Utc>,
) -> Result<Option<kept_form::Model>, DbErr> {
    kept_form::Entity::find_by_id(id)
        .filter(kept_form::Column::RegistrarId.eq(registrar_id))
        .filter(kept_form::Column::KeptAt.gt(at - KEPT_FOR))
        .one(db)
        .await
}

/// The account's kept forms at `at`, newest first.
pub async fn of_account(
    db: &impl ConnectionTrait,
    registrar_id: i64,
    at: DateTime<Utc>,
) -> Result<Vec<kept_form::Model>, DbErr> {
    kept_form::Entity::find()
        .filter(kept_form::Column::RegistrarId.eq(registrar_id))
        .filter(kept_form::Column::KeptAt.gt(at - KEPT_FOR))
        .order_by_desc(kept_form::Column::Id)
        .all(db)
        .await
}

/// The account's newest kept form it has not opened yet.
pub async fn newest_unopened(
    db: &impl ConnectionTrait,
    registrar_id: i64,
    at: DateTime<Utc>,
) -> Result<Option<kept_form::Model>, DbErr> {
    kept_form::Entity::find()
        .filter(kept_form::Column::RegistrarId.eq(registrar_id))
        .filter(kept_form::Column::KeptAt.gt(at - KEPT_FOR))
        .filter(kept_form::Column::OpenedAt.is_null())
        .order_by_desc(kept_form::Column::Id)
        .one(db)
        .await
}

/// Notes that its account opened kept form `id` (the first time only).
pub async fn mark_opened(db: &DatabaseConnection, id: i64, at: DateTime<Utc>) -> Result<(), DbErr> {
    retry::write("kept form opened", || {
        kept_form::Entity::update_many()
            .col_expr(kept_form::Column::OpenedAt, Expr::value(Some(at)))
            .filter(kept_form::Column::Id.eq(id))
            .filter(kept_form::Column::OpenedAt.is_null())
            .exec(db)
    })
    .await?;
    Ok(())
}

/// Forgets kept form `id` of account `registrar_id`; whether it was there.
pub async fn discard(db: &DatabaseConnection, id: i64, registrar_id: i64) -> Result<bool, DbErr> {
    let result = retry::write("kept form discarded", || {
        kept_form::Entity::delete_many()
            .filter(kept_form::Column::Id.eq(id))
            .filter(kept_form::Column::RegistrarId.eq(registrar_id))
            .exec(db)
    })
    .await?;
    Ok(result.rows_affected > 0)
}

/// Forgets the forms kept longer than [`KEPT_FOR`] before `at`, and the
/// sessions that ended longer ago than they are remembered.
pub async fn sweep(db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = kept_form::Entity::delete_many()
        .filter(kept_form::Column::KeptAt.lte(at - KEPT_FOR))
        .exec(db)
        .await?;
    Ok(result.rows_affected + ended::sweep(db, at).await?)
}

/// What a kept form carried, read back.
pub fn carried(kept: &kept_form::Model) -> Carried {
    use crate::domain::Version;
    Carried {
        action: kept.action,
        student_id: kept.student_id,
        version: kept.version.map(Version::new),
        revision: kept.revision.map(Version::new),
        values: Carried::decoded_values(&kept.fields),
        reason: kept.reason.clone(),
    }
}
