use sea_orm::entity::prelude::*;

/// A registrar has the edit form of a student open (contract §8): advice for
/// the others, never a lock.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "presence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub registrar_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub student_id: i64,
    pub opened_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
