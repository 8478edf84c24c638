//! `audit digest`: one SHA-256 over every chain's latest revision at one
//! moment (contract §15), and its cut (each student's version then) kept
//! so `audit verify --digest` can recompute it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::db::entities::audit_digest;
use crate::db::{begin_write, now};

/// Cut rows one page reads.
const PAGE: u64 = 1_000;

/// A digest as taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub hash: String,
    pub taken_at: DateTime<Utc>,
    pub students: i64,
    pub revisions: i64,
}

/// Takes a digest: the cut is every student's version, copied by one
/// `INSERT … SELECT` (a consistent moment on every backend); the digest is
/// then computed over the cut and the stored hashes at those versions
/// (revisions up to a cut never change, unless by hand).
pub async fn take(db: &DatabaseConnection) -> Result<Taken, DbErr> {
    let taken_at = now();
    let txn = begin_write(db).await?;
    let row = audit_digest::ActiveModel {
        id: NotSet,
        hash: Set(String::new()),
        taken_at: Set(taken_at),
        students: Set(0),
        revisions: Set(0),
    }
    .insert(&txn)
    .await?;
    txn.execute_unprepared(&format!(
        "INSERT INTO audit_digest_cuts (digest_id, student_id, version) \
         SELECT {}, id, version FROM students",
        row.id
    ))
    .await?;
    txn.commit().await?;

    let mut digest = chain::Digest::new();
    let (mut students, mut revisions) = (0_i64, 0_i64);
    let mut after = i64::MIN;
    loop {
        let page = cut_page(db, row.id, after).await?;
        for (student, version, hash) in &page {
            digest.add(*student, *version, hash.as_deref().unwrap_or_default());
            students += 1;
            revisions += version;
            after = *student;
        }
        if (page.len() as u64) < PAGE {
            break;
        }
    }
    let hash = digest.finish();
    audit_digest::ActiveModel {
        id: Set(row.id),
        hash: Set(hash.clone()),
        students: Set(students),
        revisions: Set(revisions),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(Taken {
        hash,
        taken_at,
        students,
        revisions,
    })
}

/// A page of the cut after student `after`, each with the stored hash of
/// its revision at the cut's version (`None`: there is none).
async fn cut_page(
    db: &impl ConnectionTrait,
    digest_id: i64,
    after: i64,
) -> Result<Vec<(i64, i64, Option<String>)>, DbErr> {
    let (c, r) = (Alias::new("c"), Alias::new("r"));
    let select = Query::select()
        .column((c.clone(), Alias::new("student_id")))
        .column((c.clone(), Alias::new("version")))
        .column((r.clone(), Alias::new("hash")))
        .from_as(Alias::new("audit_digest_cuts"), c.clone())
        .join_as(
            JoinType::LeftJoin,
            Alias::new("revisions"),
            r.clone(),
            Expr::col((r.clone(), Alias::new("student_id")))
                .equals((c.clone(), Alias::new("student_id")))
                .and(
                    Expr::col((r.clone(), Alias::new("version")))
                        .equals((c.clone(), Alias::new("version"))),
                ),
        )
        .and_where(Expr::col((c.clone(), Alias::new("digest_id"))).eq(digest_id))
        .and_where(Expr::col((c.clone(), Alias::new("student_id"))).gt(after))
        .order_by((c, Alias::new("student_id")), Order::Asc)
        .limit(PAGE)
        .to_owned();
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("", "student_id")?,
                row.try_get("", "version")?,
                row.try_get("", "hash")?,
            ))
        })
        .collect()
}

/// The newest stored digest with `hash`, if any is.
pub async fn find(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<audit_digest::Model>, DbErr> {
    audit_digest::Entity::find()
        .filter(audit_digest::Column::Hash.eq(hash))
        .order_by_desc(audit_digest::Column::Id)
        .one(db)
        .await
}
