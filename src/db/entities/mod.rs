//! SeaORM entities: the tables as the database holds them.
//!
//! Nothing here checks a rule; `crate::domain` does that before anything is
//! written, and the `store` modules (`crate::students::store`,
//! `crate::students::import::store`, `crate::accounts`,
//! `crate::auth::sessions`, `crate::auth::ended`, `crate::kept::store`,
//! `crate::audit::digest`, `crate::api_tokens`, `crate::feed`,
//! `crate::two_factor::store`) are
//! the only code that writes. Stored words (revision actions, conflict
//! attempts) are read back as enums or refused.

pub mod access_entry;
pub mod account_change;
pub mod api_token;
pub mod api_token_failure;
pub mod audit_digest;
pub mod audit_digest_cut;
pub mod conflict;
pub mod ended_session;
pub mod feed_sequencer;
pub mod idempotency_key;
pub mod import;
pub mod import_entry;
pub mod import_row;
pub mod instance;
pub mod kept_form;
pub mod login_failure;
pub mod presence;
pub mod provider_identity;
pub mod recovery_code;
pub mod registrar;
pub mod revision;
pub mod session;
pub mod sign_in_check;
pub mod student;
pub mod student_count;
pub mod two_factor_secret;
pub mod two_factor_step;
