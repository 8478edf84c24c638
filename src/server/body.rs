//! Request and response bodies as one connection sees them: a request body
//! the application refused without reading is drained, or its answer says
//! `Connection: close`; an answer's end marks the connection idle.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Request, Response, header, request};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use tokio::sync::oneshot;
use tower::ServiceExt;

use super::activity::Activity;

/// The most of a refused body that is read (and thrown away) to keep its
/// connection open; a longer one closes the connection instead.
pub const DRAIN_LIMIT: u64 = 1024 * 1024;

/// Runs the application on one request. When the application answered
/// without reading the whole body (a refused sign-in, a 404, a 415, a body
/// declared too large…), hyper would close the connection after the
/// answer without saying so, and a client sending its next request on it
/// would lose it: so what remains is read in the background (up to
/// [`DRAIN_LIMIT`] bytes, within `drain_within`), or the answer says
/// `Connection: close`.
pub(super) async fn answer(
    app: Router,
    parts: request::Parts,
    incoming: Incoming,
    drain_within: Duration,
) -> Response<Body> {
    if http_body::Body::is_end_stream(&incoming) {
        return run(app, Request::from_parts(parts, Body::empty())).await;
    }
    // Reading the body now would send `100 Continue` after the answer.
    let expects_continue = parts.headers.contains_key(header::EXPECT);
    let (body, returned) = Returning::new(incoming);
    let mut response = run(app, Request::from_parts(parts, Body::new(body))).await;
    match returned.await_now() {
        Unread::None => {}
        Unread::Rest(rest)
            if !expects_continue
                && http_body::Body::size_hint(&rest)
                    .exact()
                    .is_some_and(|left| left <= DRAIN_LIMIT) =>
        {
            tokio::spawn(drain(rest, drain_within));
        }
        Unread::Rest(_) | Unread::Held => {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
    response
}

async fn run(app: Router, request: Request<Body>) -> Response<Body> {
    match app.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Reads and discards what remains of a body; stops at its end, an error
/// or `within` (then hyper closes the connection: the client never sent
/// the body it announced).
async fn drain(mut rest: Incoming, within: Duration) {
    let read_all = async {
        while let Some(frame) =
            std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut rest), cx)).await
        {
            if frame.is_err() {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(within, read_all).await;
}

/// What is left of a request body once the application has answered.
enum Unread {
    /// It was read to its end (or failed).
    None,
    /// The application dropped it before its end.
    Rest(Incoming),
    /// The application still holds it.
    Held,
}

/// The request body as the application sees it: hyper's, handed back
/// when dropped before its end.
struct Returning {
    inner: Option<Incoming>,
    ended: bool,
    back: Option<oneshot::Sender<Incoming>>,
}

struct Handback(oneshot::Receiver<Incoming>);

impl Handback {
    fn await_now(mut self) -> Unread {
        match self.0.try_recv() {
            Ok(rest) => Unread::Rest(rest),
            Err(oneshot::error::TryRecvError::Closed) => Unread::None,
            Err(oneshot::error::TryRecvError::Empty) => Unread::Held,
        }
    }
}

impl Returning {
    fn new(incoming: Incoming) -> (Returning, Handback) {
        let (back, handback) = oneshot::channel();
        (
            Returning {
                inner: Some(incoming),
                ended: false,
                back: Some(back),
            },
            Handback(handback),
        )
    }
}

impl http_body::Body for Returning {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            self.ended = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.as_ref().is_none_or(|i| i.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), |i| i.size_hint())
    }
}

impl Drop for Returning {
    fn drop(&mut self) {
        if http_body::Body::is_end_stream(self) {
            return;
        }
        if let (Some(inner), Some(back)) = (self.inner.take(), self.back.take()) {
            let _ = back.send(inner);
        }
    }
}

/// An answer's body; when hyper drops it (written, or abandoned), the
/// connection is between requests again.
pub(super) struct GuardedBody {
    inner: Body,
    activity: Arc<Activity>,
}

impl GuardedBody {
    pub(super) fn new(inner: Body, activity: Arc<Activity>) -> Self {
        GuardedBody { inner, activity }
    }
}

impl http_body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for GuardedBody {
    fn drop(&mut self) {
        self.activity.answer_ended();
    }
}
