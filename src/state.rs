//! What every handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::access::AccessLog;
use crate::auth::AuthPolicy;
use crate::feed;
use crate::metrics::Metrics;
use crate::presence::Pace;
use crate::students::import::check::Running;
use crate::zone::Zone;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub auth: Arc<AuthPolicy>,
    /// The instance's recorder when `--metrics-bind` is set: work a request
    /// starts in the background (an import's job) is counted in it too.
    pub metrics: Option<Arc<Metrics>>,
    /// How fast each account may mark edit forms open (presence).
    pub presence_pace: Arc<Pace>,
    /// The uploads this instance is checking (failed at once if it stops).
    pub import_checks: Arc<Running>,
    /// The office's time zone (`--time-zone`): pages show times in it.
    pub zone: Zone,
    /// The instance's access log queue (contract §15, "Who looked"):
    /// handlers record through [`crate::access::Witness`].
    pub access: AccessLog,
    /// The change feed's highest stamped position as this instance knows
    /// it: long-polling readers wait on it (`crate::feed::tip`).
    pub feed: feed::Tip,
    /// The university's identity provider, when `--oidc-issuer` is set.
    pub oidc: Option<Arc<crate::oidc::Provider>>,
}
