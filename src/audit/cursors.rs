//! Keyset-paged reads, in student order, of what `audit verify` merges:
//! students (version and chain head), revisions in `(student_id, version,
//! id)` order, and a digest's cut. Each holds one page at most.

use std::collections::VecDeque;

use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::check::Head;
use crate::db::entities::{audit_digest_cut, revision, student};

/// Rows one page reads.
const PAGE: u64 = 1_000;

/// Which students a verify reads: all, or one.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    All,
    Student(i64),
}

/// A paged read: a page buffered, where it ended, whether it was the last.
struct Paged<T, K> {
    rows: VecDeque<T>,
    after: Option<K>,
    done: bool,
}

impl<T, K> Paged<T, K> {
    fn new() -> Self {
        Paged {
            rows: VecDeque::new(),
            after: None,
            done: false,
        }
    }

    fn needs_page(&self) -> bool {
        self.rows.is_empty() && !self.done
    }

    fn take(&mut self, page: Vec<T>, last: impl Fn(&T) -> K) {
        self.done = (page.len() as u64) < PAGE;
        if let Some(row) = page.last() {
            self.after = Some(last(row));
        }
        self.rows.extend(page);
    }
}

/// Students by id: `(id, head)`.
pub struct Students {
    scope: Scope,
    paged: Paged<(i64, Head), i64>,
}

impl Students {
    pub fn new(scope: Scope) -> Self {
        Students {
            scope,
            paged: Paged::new(),
        }
    }

    /// The next student's id, reading a page when needed.
    pub async fn peek(&mut self, db: &impl ConnectionTrait) -> Result<Option<i64>, DbErr> {
        if self.paged.needs_page() {
            let mut query = student::Entity::find()
                .select_only()
                .column(student::Column::Id)
                .column(student::Column::Version)
                .column(student::Column::ChainHead)
                .order_by_asc(student::Column::Id)
                .limit(PAGE);
            if let Scope::Student(id) = self.scope {
                query = query.filter(student::Column::Id.eq(id));
            }
            if let Some(after) = self.paged.after {
                query = query.filter(student::Column::Id.gt(after));
            }
            let page: Vec<(i64, i64, String)> = query.into_tuple().all(db).await?;
            let page = page
                .into_iter()
                .map(|(id, version, chain_head)| {
                    (
                        id,
                        Head {
                            version,
                            chain_head,
                        },
                    )
                })
                .collect();
            self.paged.take(page, |(id, _)| *id);
        }
        Ok(self.paged.rows.front().map(|(id, _)| *id))
    }

    /// The head of student `id`, if it is the next one.
    pub fn take(&mut self, id: i64) -> Option<Head> {
        match self.paged.rows.front() {
            Some((next, _)) if *next == id => self.paged.rows.pop_front().map(|(_, head)| head),
            _ => None,
        }
    }
}

/// Revisions in chain order.
pub struct Revisions {
    scope: Scope,
    paged: Paged<revision::Model, (i64, i64, i64)>,
}

impl Revisions {
    pub fn new(scope: Scope) -> Self {
        Revisions {
            scope,
            paged: Paged::new(),
        }
    }

    /// The student of the next revision, reading a page when needed.
    pub async fn peek(&mut self, db: &impl ConnectionTrait) -> Result<Option<i64>, DbErr> {
        if self.paged.needs_page() {
            let mut query = revision::Entity::find()
                .order_by_asc(revision::Column::StudentId)
                .order_by_asc(revision::Column::Version)
                .order_by_asc(revision::Column::Id)
                .limit(PAGE);
            if let Scope::Student(id) = self.scope {
                query = query.filter(revision::Column::StudentId.eq(id));
            }
            if let Some((student, version, id)) = self.paged.after {
                query = query
                    .filter(revision::Column::StudentId.gte(student))
                    .filter(
                        Condition::any()
                            .add(revision::Column::StudentId.gt(student))
                            .add(revision::Column::Version.gt(version))
                            .add(
                                Expr::col(revision::Column::Version)
                                    .eq(version)
                                    .and(Expr::col(revision::Column::Id).gt(id)),
                            ),
                    );
            }
            let page = query.all(db).await?;
            self.paged
                .take(page, |row| (row.student_id, row.version, row.id));
        }
        Ok(self.paged.rows.front().map(|row| row.student_id))
    }

    /// The next revision, if it is of student `id`.
    pub fn take(&mut self, id: i64) -> Option<revision::Model> {
        match self.paged.rows.front() {
            Some(row) if row.student_id == id => self.paged.rows.pop_front(),
            _ => None,
        }
    }
}

/// A digest's cut, by student: `(student_id, version)`.
pub struct Cut {
    digest_id: i64,
    paged: Paged<(i64, i64), i64>,
}

impl Cut {
    pub fn new(digest_id: Option<i64>) -> Self {
        let mut paged = Paged::new();
        paged.done = digest_id.is_none();
        Cut {
            digest_id: digest_id.unwrap_or_default(),
            paged,
        }
    }

    pub async fn peek(&mut self, db: &impl ConnectionTrait) -> Result<Option<i64>, DbErr> {
        if self.paged.needs_page() {
            let mut query = audit_digest_cut::Entity::find()
                .select_only()
                .column(audit_digest_cut::Column::StudentId)
                .column(audit_digest_cut::Column::Version)
                .filter(audit_digest_cut::Column::DigestId.eq(self.digest_id))
                .order_by_asc(audit_digest_cut::Column::StudentId)
                .limit(PAGE);
            if let Some(after) = self.paged.after {
                query = query.filter(audit_digest_cut::Column::StudentId.gt(after));
            }
            let page: Vec<(i64, i64)> = query.into_tuple().all(db).await?;
            self.paged.take(page, |(id, _)| *id);
        }
        Ok(self.paged.rows.front().map(|(id, _)| *id))
    }

    pub fn take(&mut self, id: i64) -> Option<i64> {
        match self.paged.rows.front() {
            Some((next, _)) if *next == id => self.paged.rows.pop_front().map(|(_, v)| v),
            _ => None,
        }
    }
}
