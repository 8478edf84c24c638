//! The API's addresses, built in one place.

use super::PREFIX;

/// `/api/v1/students/{id}`.
pub fn student(id: i64) -> String {
    format!("{PREFIX}/students/{id}")
}
