use sea_orm::entity::prelude::*;

/// One chain of a digest's cut: the student's version when it was taken.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_digest_cuts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub student_id: i64,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
