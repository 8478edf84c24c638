//! Index names the application names too: on MariaDB the list's queries
//! hold the optimizer to these (`FORCE INDEX`), so they are written once,
//! here, for both.

/// Live students by the search key (the lower-cased name first).
pub const STUDENTS_LIVE_NAME: &str = "students_live_name_idx";
/// Live students by GPA.
pub const STUDENTS_LIVE_GPA: &str = "students_live_gpa_idx";
/// Live students by the time of their last change.
pub const STUDENTS_LIVE_UPDATED: &str = "students_live_updated_idx";
