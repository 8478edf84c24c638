//! A connection's socket as hyper sees it: every read and write reported
//! to the connection's watchdog, and the answers hyper writes on its own
//! (a request it cannot parse: 400, 414, 431) replaced by our error page
//! with our security headers.
//!
//! hyper writes such an answer only when nothing of ours is left to write
//! (its writing state is back to the start, after the last answer was
//! flushed), so a write made while [`Activity::is_flushed`] holds is one.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use askama::Template;
use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::activity::Activity;
use crate::error::ErrorPage;
use crate::http::headers::SECURITY_HEADERS;
use crate::views::Layout;

pub(super) struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
    replacing: Option<Replacement>,
}

/// Our answer in place of hyper's, partly written.
struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    /// The length of hyper's answer, reported written once ours is.
    stands_for: usize,
}

impl Watched {
    pub(super) fn new(stream: TcpStream, activity: Arc<Activity>) -> Self {
        Watched {
            stream,
            activity,
            replacing: None,
        }
    }

    fn write_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some(replacement) = self.replacing.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        while replacement.written < replacement.bytes.len() {
            let n = ready!(
                Pin::new(&mut self.stream)
                    .poll_write(cx, &replacement.bytes[replacement.written..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            replacement.written += n;
            self.activity.wrote();
        }
        let stands_for = replacement.stands_for;
        self.replacing = None;
        Poll::Ready(Ok(stands_for))
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacing.is_none()
            && this.activity.is_flushed()
            && let Some(bytes) = replacement_for(buf)
        {
            this.replacing = Some(Replacement {
                bytes,
                written: 0,
                stands_for: buf.len(),
            });
        }
        if this.replacing.is_some() {
            return this.write_replacement(cx);
        }
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacing.is_some() || this.activity.is_flushed() {
            // Possibly an answer of hyper's own: looked at one buffer at a time.
            let first = bufs
                .iter()
                .find(|b| !b.is_empty())
                .map_or(&[][..], |b| &**b);
            return Pin::new(this).poll_write(cx, first);
        }
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_flush(cx);
        if matches!(polled, Poll::Ready(Ok(()))) {
            this.activity.flushed();
        }
        polled
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Our answer for the error answer hyper is writing in `written`, if that
/// is what it is: a whole head of a 4xx or 5xx answer.
fn replacement_for(written: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(written).ok()?;
    let head = head.strip_prefix("HTTP/1.1 ")?.strip_suffix("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let code: u16 = lines.next()?.split(' ').next()?.parse().ok()?;
    let status = StatusCode::from_u16(code).ok()?;
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let (heading, message) = match status {
        StatusCode::URI_TOO_LONG => (
            "Address too long",
            "The address of this request is too long.",
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
            "Request too large",
            "The headers of this request are too large.",
        ),
        _ => ("Bad request", "The request could not be read."),
    };
    let page = ErrorPage {
        layout: Layout::new(heading),
        status,
        heading: heading.to_owned(),
        message: message.to_owned(),
        navigable: false,
        writer_refused: false,
        typed: Vec::new(),
    }
    .render()
    .unwrap_or_else(|_| format!("<!doctype html><title>{heading}</title><h1>{heading}</h1>"));
    let mut answer = format!(
        "HTTP/1.1 {code} {}\r\n",
        status.canonical_reason().unwrap_or("Error")
    );
    for line in lines {
        let name = line.split(':').next().unwrap_or_default();
        if !["connection", "content-length", "content-type"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            answer.push_str(line);
            answer.push_str("\r\n");
        }
    }
    for (name, value) in SECURITY_HEADERS {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    answer.push_str(&format!(
        "content-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
        page.len()
    ));
    Some(answer.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::replacement_for;

    #[test]
    fn an_error_head_is_replaced_by_a_page_with_our_headers() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Tue, 01 Dec 2026 22:38:05 GMT\r\n\r\n";
        let ours = String::from_utf8(replacement_for(hyper).unwrap()).unwrap();
        let (head, page) = ours.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains("\r\nx-frame-options: DENY\r\n"));
        assert!(head.contains("\r\ndate: Tue, 01 Dec 2026 22:38:05 GMT\r\n"));
        assert!(head.contains(&format!("\r\ncontent-length: {}\r\n", page.len())));
        assert_eq!(head.matches("connection:").count(), 1);
        assert!(page.contains("Request too large"));
    }

    #[test]
    fn other_writes_pass_through() {
        assert!(replacement_for(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(replacement_for(b"HTTP/1.1 400 Bad Request\r\ncontent-").is_none());
        assert!(replacement_for(b"<html>HTTP/1.1 400 </html>").is_none());
    }
}
