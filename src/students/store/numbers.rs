//! Student numbers: who holds one, and the database's word when a second
//! student is given it (contract §12). The unique index is the guarantee;
//! the look-ups before a write turn a taken number into a message naming
//! its holder instead of an error.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::db::entities::student;
use crate::domain::StudentNumber;

/// The student that holds a number: what a page needs to link to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub id: i64,
    pub name: String,
    pub deleted: bool,
}

impl From<student::Model> for Holder {
    fn from(student: student::Model) -> Self {
        Holder {
            id: student.id,
            name: student.name,
            deleted: student.deleted_at.is_some(),
        }
    }
}

/// The student whose number is `number`, deleted or not.
pub async fn student(
    db: &impl ConnectionTrait,
    number: &StudentNumber,
) -> Result<Option<student::Model>, DbErr> {
    student::Entity::find()
        .filter(student::Column::StudentNumber.eq(number.as_str()))
        .one(db)
        .await
}

/// The student other than `except` that holds `number`, deleted or not.
pub async fn holder(
    db: &impl ConnectionTrait,
    number: &StudentNumber,
    except: Option<i64>,
) -> Result<Option<Holder>, DbErr> {
    let mut find =
        student::Entity::find().filter(student::Column::StudentNumber.eq(number.as_str()));
    if let Some(except) = except {
        find = find.filter(student::Column::Id.ne(except));
    }
    Ok(find.one(db).await?.map(Holder::from))
}

/// The holders of `numbers` (at most a few hundred: one statement), by
/// number.
pub async fn holders(
    db: &impl ConnectionTrait,
    numbers: impl IntoIterator<Item = &StudentNumber>,
) -> Result<HashMap<String, Holder>, DbErr> {
    let numbers: Vec<&str> = numbers.into_iter().map(StudentNumber::as_str).collect();
    if numbers.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(student::Entity::find()
        .filter(student::Column::StudentNumber.is_in(numbers))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|student| Some((student.student_number.clone()?, Holder::from(student))))
        .collect())
}

/// The highest student id ever given (0 for none).
pub async fn highest_id(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let highest: Option<Option<i64>> = student::Entity::find()
        .select_only()
        .expr(Expr::col(student::Column::Id).max())
        .into_tuple()
        .one(db)
        .await?;
    Ok(highest.flatten().unwrap_or(0))
}

/// Whether `err` is the unique index on student numbers refusing a write
/// (two writers gave one number at the same instant). Each backend names
/// the index or its column in its message.
pub fn is_number_taken(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(message))
            if message.contains("student_number")
    )
}
