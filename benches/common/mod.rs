//! What the benchmarks share: reading `--backends`, and the places in the
//! demo data that their lines start from. Each benchmark uses part of it.
#![allow(dead_code)]

use registrar::db::entities::student;
use registrar::testing::Backend;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The backends a `--backends sqlite,postgres,mysql` list names.
pub fn backends(list: &str) -> Vec<Backend> {
    list.split(',')
        .filter_map(|b| match b.trim() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" => Some(Backend::Postgres),
            "mysql" => Some(Backend::MySql),
            _ => None,
        })
        .collect()
}

/// The last student of the first page of the common search "maple" (by
/// name): where its Next link starts.
pub async fn maple_page_end(db: &DatabaseConnection) -> i64 {
    page_end(db, Some("maple")).await
}

/// The last student of the first page of the list (by name), searched for
/// `word` if given: where its Next link starts.
pub async fn page_end(db: &DatabaseConnection, word: Option<&str>) -> i64 {
    let mut select = student::Entity::find()
        .select_only()
        .column(student::Column::Id)
        .filter(student::Column::DeletedAt.is_null());
    if let Some(word) = word {
        select = select.filter(student::Column::SearchKey.contains(word));
    }
    select
        .order_by_asc(student::Column::SearchKey)
        .order_by_asc(student::Column::Id)
        .offset(49)
        .limit(1)
        .into_tuple()
        .one(db)
        .await
        .expect("query")
        .unwrap_or(1)
}
