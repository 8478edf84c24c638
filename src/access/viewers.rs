//! "Who viewed this record": the latest looks at one student, for its
//! history page (admins only).

use sea_orm::{ConnectionTrait, DbErr};

use super::filters::Filters;
use super::pages::EntryView;
use super::store::{self, Scope};

/// Looks a history page lists.
pub const SHOWN: u64 = 20;

/// The latest looks at a student and where the rest are.
#[derive(Debug, Clone)]
pub struct Viewers {
    pub entries: Vec<EntryView>,
    /// `/audit/access?student=ID`.
    pub all_href: String,
}

/// The latest [`SHOWN`] looks at student `id`, newest first.
pub async fn of_student(db: &impl ConnectionTrait, id: i64) -> Result<Viewers, DbErr> {
    let scope = Scope {
        student: Some(id),
        ..Scope::default()
    };
    let rows = store::rows(db, &scope, None, SHOWN).await?;
    Ok(Viewers {
        entries: rows.into_iter().map(EntryView::from).collect(),
        all_href: Filters {
            student: Some(id),
            ..Filters::default()
        }
        .href(None),
    })
}
