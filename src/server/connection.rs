//! One connection: hyper serving the application, watched by timeouts.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::activity::{Activity, Timeouts};
use super::body::{self, GuardedBody};
use super::io::Watched;

/// The longest request head (request line and headers) read: longer ones
/// are answered 431. Above hyper's longest URI (64 KiB, longer ones 414).
pub const MAX_HEAD_BYTES: usize = 80 * 1024;

/// A connection's read and write buffers grow no larger (hyper's default
/// is ~400 KiB), which bounds the memory a slow client can make it hold.
const MAX_BUFFER_BYTES: usize = 96 * 1024;

/// Serves one connection until it ends, times out, or (after `stopping`,
/// or when told to give way) finishes the request it is serving.
pub(super) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    timeouts: Timeouts,
    activity: Arc<Activity>,
    mut stopping: watch::Receiver<bool>,
) {
    let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity)));
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let app = app.clone();
            let activity = Arc::clone(&activity);
            async move {
                activity.request_started();
                let (mut parts, incoming) = request.into_parts();
                parts.extensions.insert(ConnectInfo(peer));
                let response = body::answer(app, parts, incoming, timeouts.header).await;
                Ok::<_, Infallible>(response.map(|b| GuardedBody::new(b, activity)))
            }
        })
    };
    let connection = http1::Builder::new()
        .keep_alive(true)
        .max_header_size(MAX_HEAD_BYTES)
        .max_buf_size(MAX_BUFFER_BYTES)
        .serve_connection(io, service);
    tokio::pin!(connection);
    let mut told_to_stop = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%peer, error = %err, "connection ended with an error");
                }
                return;
            }
            why = activity.expired(timeouts) => {
                tracing::debug!(%peer, reason = why, "closing a connection");
                return;
            }
            _ = stopping.wait_for(|stop| *stop), if !told_to_stop => {
                told_to_stop = true;
                connection.as_mut().graceful_shutdown();
            }
            () = activity.asked_to_give_way(), if !told_to_stop => {
                tracing::debug!(%peer, "closing an idle connection: a newcomer needs its slot");
                told_to_stop = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
