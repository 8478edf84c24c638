//! What an instance sweeps in the background while it serves.

use crate::auth;
use crate::state::AppState;

/// Ends expired sessions, deletes sign-in failures and wrong API tokens no
/// window counts and what is kept a while only, at start and every ten
/// minutes.
pub async fn sweep_periodically(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        let sessions = auth::ended::end_expired(&state.db, &state.auth).await;
        let failures = auth::throttle::sweep(&state.db, &state.auth.throttle).await;
        if let Err(err) =
            crate::api_tokens::throttle::sweep(&state.db, &state.auth.tokens.throttle).await
        {
            tracing::warn!(error = %err, "sweeping old wrong API tokens failed");
        }
        if let Err(err) = crate::api::idempotency::sweep(&state.db).await {
            tracing::warn!(error = %err, "sweeping day-old idempotency keys failed");
        }
        if let Err(err) = crate::two_factor::pending::sweep(&state.db).await {
            tracing::warn!(error = %err, "sweeping expired two-factor steps failed");
        }
        if let Err(err) = crate::presence::store::sweep(&state.db, crate::db::now()).await {
            tracing::warn!(error = %err, "sweeping old presence marks failed");
        }
        if let Err(err) = crate::students::import::sweep(&state.db).await {
            tracing::warn!(error = %err, "sweeping old imports failed");
        }
        if let Err(err) = crate::kept::store::sweep(&state.db, crate::db::now()).await {
            tracing::warn!(error = %err, "sweeping ended sessions and kept forms failed");
        }
        match (sessions, failures) {
            (Ok(sessions), Ok(failures)) if sessions + failures > 0 => {
                tracing::info!(
                    sessions,
                    failures,
                    "swept expired sessions and sign-in failures"
                );
            }
            (Err(err), _) | (_, Err(err)) => tracing::warn!(error = %err, "sweeping failed"),
            _ => {}
        }
    }
}
