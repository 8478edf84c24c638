//! The access log's witness of an API request (contract §15, "Who
//! looked"): the caller's account and client address, like a page's.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::caller::Caller;
use super::problem::ApiError;
use crate::access::Witness;
use crate::auth::client::{PeerAddr, exact_client_address};
use crate::state::AppState;

/// A [`Witness`] of the API's caller.
pub struct ApiWitness(pub Witness);

impl FromRequestParts<AppState> for ApiWitness {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let PeerAddr(peer) = match PeerAddr::from_request_parts(parts, state).await {
            Ok(peer) => peer,
            Err(never) => match never {},
        };
        let client_addr = exact_client_address(&parts.headers, peer, &state.auth);
        Ok(ApiWitness(Witness::of_api(
            &state.access,
            &caller.username,
            client_addr,
            parts.uri.query(),
        )))
    }
}
