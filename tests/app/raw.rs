//! HTTP/1.1 over a bare socket, for tests that control every byte and
//! every pause.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for an answer before calling it missing.
const ANSWER_WAIT: Duration = Duration::from_secs(10);

pub struct RawConnection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    /// Lower-cased names, values as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn says_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

impl RawConnection {
    pub async fn open(address: SocketAddr) -> RawConnection {
        RawConnection {
            stream: TcpStream::connect(address).await.expect("connecting"),
            buffer: Vec::new(),
        }
    }

    /// A connection from `local` (any address of the loopback range): a
    /// client of its own, as the server counts clients.
    pub async fn open_from(local: std::net::IpAddr, address: SocketAddr) -> RawConnection {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .bind(SocketAddr::new(local, 0))
            .expect("binding a loopback address");
        RawConnection {
            stream: socket.connect(address).await.expect("connecting"),
            buffer: Vec::new(),
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("sending");
    }

    /// Sends, ignoring a connection the server has closed.
    pub async fn try_send(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes).await;
    }

    /// Reads one response; `None` when the connection ends (or fails, or
    /// stays silent) before a whole one arrived.
    pub async fn read_answer(&mut self) -> Option<Answer> {
        tokio::time::timeout(ANSWER_WAIT, self.read_answer_inner())
            .await
            .ok()
            .flatten()
    }

    async fn read_answer_inner(&mut self) -> Option<Answer> {
        let head_end = loop {
            if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                break at;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).into_owned();
        self.buffer.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let answer = |body| {
            Some(Answer {
                status: StatusCode::from_u16(status).ok()?,
                headers: headers.clone(),
                body,
            })
        };
        let value = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        if value("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(at) = find(&self.buffer, b"\r\n") {
                        break at;
                    }
                    self.fill().await?;
                };
                let size_text = String::from_utf8_lossy(&self.buffer[..line_end]).into_owned();
                let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
                self.buffer.drain(..line_end + 2);
                self.fill_to(size + 2).await?;
                body.extend(self.buffer.drain(..size));
                self.buffer.drain(..2);
                if size == 0 {
                    return answer(body);
                }
            }
        }
        let length: usize = value("content-length").map_or(Some(0), |v| v.parse().ok())?;
        self.fill_to(length).await?;
        answer(self.buffer.drain(..length).collect())
    }

    async fn fill_to(&mut self, length: usize) -> Option<()> {
        while self.buffer.len() < length {
            self.fill().await?;
        }
        Some(())
    }

    async fn fill(&mut self) -> Option<()> {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                Some(())
            }
        }
    }

    /// Whether the server has closed the connection (within `wait`).
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let mut chunk = [0u8; 1024];
        matches!(
            tokio::time::timeout(wait, self.stream.read(&mut chunk)).await,
            Ok(Ok(0) | Err(_))
        )
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The headers contract §4 puts on every answer.
pub fn assert_security_headers(answer: &Answer, what: &str) {
    let csp = answer
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy in {:?}", answer.headers));
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(
        answer.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{what}");
    assert!(answer.header("referrer-policy").is_some(), "{what}");
}
