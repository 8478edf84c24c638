//! The API's JSON shapes of a student (contract §13), shared by every
//! route that sends one: field names are stable, `gpa` is a string with two
//! decimals, times are RFC 3339 UTC, and an address the caller's role may
//! not see (a confidential student's, for a viewer) is `null`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::entities::student::gpa_text;
use crate::domain::{Disclosure, Field};
use crate::students::store::{Revision, Student};

/// A time as the API writes it: RFC 3339, UTC, microseconds.
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A student as it is now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentBody {
    pub id: i64,
    /// The institution's number, upper-cased; `null` when unset.
    pub student_number: Option<String>,
    pub name: String,
    /// `null` when the caller's role may not see it (a confidential
    /// student's address, for a viewer).
    pub address: Option<String>,
    /// Two decimals, as a string: `"3.50"`.
    #[schema(example = "3.50")]
    pub gpa: String,
    /// A directory-information hold: viewers never see the address.
    pub confidential: bool,
    /// What `ETag` and `If-Match` carry (in quotes).
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The username of the account that made the latest change.
    pub updated_by: String,
}

impl StudentBody {
    pub fn new(student: &Student, disclosure: Disclosure) -> StudentBody {
        StudentBody {
            id: student.id,
            student_number: student.student_number.clone(),
            name: student.name.clone(),
            address: (!disclosure.withholds(Field::Address, student.confidential))
                .then(|| student.address.clone()),
            gpa: gpa_text(student.gpa_hundredths),
            confidential: student.confidential,
            version: student.version,
            created_at: time(student.created_at),
            updated_at: time(student.updated_at),
            updated_by: student.updated_by.clone(),
        }
    }
}

/// A student's values as a revision recorded them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ValuesBody {
    pub student_number: Option<String>,
    pub name: String,
    /// `null` when the caller's role may not see it.
    pub address: Option<String>,
    #[schema(example = "3.50")]
    pub gpa: String,
    pub confidential: bool,
}

impl ValuesBody {
    pub fn of_revision(revision: &Revision, disclosure: Disclosure) -> ValuesBody {
        ValuesBody {
            student_number: revision.student_number.clone(),
            name: revision.name.clone(),
            address: (!disclosure.withholds(Field::Address, revision.confidential))
                .then(|| revision.address.clone()),
            gpa: gpa_text(revision.gpa_hundredths),
            confidential: revision.confidential,
        }
    }
}
