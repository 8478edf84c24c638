//! What every handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::AuthPolicy;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub auth: Arc<AuthPolicy>,
}
