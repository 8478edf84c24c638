use sea_orm::entity::prelude::*;
use sea_orm::{QuerySelect, Select};

use crate::domain::{Gpa, StudentNumber};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "students")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub address: String,
    pub gpa_hundredths: i16,
    pub search_key: String,
    /// The institution's number (upper-cased, unique), if it has one.
    pub student_number: Option<String>,
    /// A directory-information hold (contract §15): viewers never see
    /// the address.
    pub confidential: bool,
    pub version: i64,
    /// The hash of its latest revision (contract §15): the previous hash
    /// of its next one, read from the row a save locks.
    pub chain_head: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub updated_by: String,
    pub deleted_at: Option<DateTimeUtc>,
    pub deleted_by: Option<String>,
}

impl Model {
    /// The GPA as pages show it: see [`gpa_text`].
    pub fn gpa_text(&self) -> String {
        gpa_text(self.gpa_hundredths)
    }

    /// Its student number, typed (stored only from parsed numbers).
    pub fn number(&self) -> Option<StudentNumber> {
        self.student_number.clone().map(StudentNumber::checked)
    }
}

/// The `gpa_hundredths` column (of students and of revisions) for `gpa`.
/// At most 400, so it always fits; were it not to, `i16::MAX` would be
/// refused by the column's check rather than stored as something else.
pub fn gpa_column(gpa: Gpa) -> i16 {
    i16::try_from(gpa.hundredths()).unwrap_or(i16::MAX)
}

/// A stored `gpa_hundredths` as forms and pages show it (`3.50`). The one
/// fallback: a value outside 0–4.00 (which the schema refuses) is shown as
/// its raw number, never hidden or replaced.
pub fn gpa_text(hundredths: i16) -> String {
    u16::try_from(hundredths)
        .ok()
        .and_then(Gpa::from_hundredths)
        .map_or_else(|| hundredths.to_string(), |gpa| gpa.to_string())
}

/// A student as lists and exports show it: every column but the search key
/// and the chain head (long, and never shown), read where many rows are
/// ([`Listed::all`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub gpa_hundredths: i16,
    pub student_number: Option<String>,
    pub confidential: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub updated_by: String,
    pub deleted_at: Option<DateTimeUtc>,
}

impl From<&Model> for Listed {
    fn from(s: &Model) -> Self {
        Listed {
            id: s.id,
            name: s.name.clone(),
            address: s.address.clone(),
            gpa_hundredths: s.gpa_hundredths,
            student_number: s.student_number.clone(),
            confidential: s.confidential,
            version: s.version,
            created_at: s.created_at,
            updated_at: s.updated_at,
            updated_by: s.updated_by.clone(),
            deleted_at: s.deleted_at,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// [`Listed`]'s columns in the order [`Listed::all`] selects them.
type ListedColumns = (
    i64,
    String,
    String,
    i16,
    Option<String>,
    bool,
    i64,
    DateTimeUtc,
    DateTimeUtc,
    String,
    Option<DateTimeUtc>,
);

impl Listed {
    /// The students `select` finds, as lists show them, each column read
    /// by its position: a page reads fifty rows, and looking eleven
    /// columns up by name in each cost a twentieth of the page.
    pub async fn all(
        select: Select<Entity>,
        db: &impl ConnectionTrait,
    ) -> Result<Vec<Listed>, DbErr> {
        let rows: Vec<ListedColumns> = select
            .select_only()
            .columns([
                Column::Id,
                Column::Name,
                Column::Address,
                Column::GpaHundredths,
                Column::StudentNumber,
                Column::Confidential,
                Column::Version,
                Column::CreatedAt,
                Column::UpdatedAt,
                Column::UpdatedBy,
                Column::DeletedAt,
            ])
            .into_tuple()
            .all(db)
            .await?;
        Ok(rows.into_iter().map(Listed::from_columns).collect())
    }

    fn from_columns(
        (
            id,
            name,
            address,
            gpa_hundredths,
            student_number,
            confidential,
            version,
            created_at,
            updated_at,
            updated_by,
            deleted_at,
        ): ListedColumns,
    ) -> Listed {
        Listed {
            id,
            name,
            address,
            gpa_hundredths,
            student_number,
            confidential,
            version,
            created_at,
            updated_at,
            updated_by,
            deleted_at,
        }
    }
}
