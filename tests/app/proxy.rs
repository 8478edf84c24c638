//! A TCP proxy a test can cut, to take a database away from the app and
//! give it back, or have cut the connection that sends the next `COMMIT`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub struct Proxy {
    pub address: SocketAddr,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    trap: Arc<Mutex<Option<CommitTrap>>>,
    accept: AbortHandle,
}

/// What happens to the next `COMMIT` a client sends through the proxy.
#[derive(Debug, Clone, Copy)]
pub struct CommitTrap {
    /// Whether the server gets the `COMMIT` (and commits) before the cut.
    /// Its answer never reaches the client either way.
    pub forward: bool,
    /// How long the proxy refuses connections after the cut.
    pub refuse_for: Duration,
}

/// Every connection cut, new ones refused for `refuse_for`.
fn cut_all(
    open: &AtomicBool,
    connections: &Mutex<Vec<AbortHandle>>,
    refuse_for: Duration,
    reopen: Arc<AtomicBool>,
) {
    open.store(false, Ordering::SeqCst);
    for relay in connections.lock().expect("not poisoned").drain(..) {
        relay.abort();
    }
    tokio::spawn(async move {
        tokio::time::sleep(refuse_for).await;
        reopen.store(true, Ordering::SeqCst);
    });
}

/// Relays one connection; the client's bytes are watched for a `COMMIT`
/// while a trap is set.
async fn relay(
    inbound: TcpStream,
    target: SocketAddr,
    trap: Arc<Mutex<Option<CommitTrap>>>,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
) {
    let Ok(outbound) = TcpStream::connect(target).await else {
        return;
    };
    let (mut client_read, mut client_write) = inbound.into_split();
    let (mut server_read, mut server_write) = outbound.into_split();
    let held = Arc::new(AtomicBool::new(false));
    let up = {
        let held = Arc::clone(&held);
        async move {
            let mut buffer = vec![0_u8; 64 * 1024];
            loop {
                let n = match client_read.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let chunk = &buffer[..n];
                let sprung = if chunk.windows(6).any(|w| w == b"COMMIT") {
                    trap.lock().expect("not poisoned").take()
                } else {
                    None
                };
                if let Some(sprung) = sprung {
                    held.store(true, Ordering::SeqCst);
                    if sprung.forward {
                        let _ = server_write.write_all(chunk).await;
                        // Time for the server to commit.
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                    cut_all(&open, &connections, sprung.refuse_for, Arc::clone(&open));
                    return;
                }
                if server_write.write_all(chunk).await.is_err() {
                    return;
                }
            }
        }
    };
    let down = async move {
        let mut buffer = vec![0_u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if held.load(Ordering::SeqCst) {
                continue;
            }
            if client_write.write_all(&buffer[..n]).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("an address");
        let open = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let trap: Arc<Mutex<Option<CommitTrap>>> = Arc::default();
        let accept = {
            let (open, connections, trap) = (
                Arc::clone(&open),
                Arc::clone(&connections),
                Arc::clone(&trap),
            );
            tokio::spawn(async move {
                while let Ok((inbound, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let relay = tokio::spawn(relay(
                        inbound,
                        target,
                        Arc::clone(&trap),
                        Arc::clone(&open),
                        Arc::clone(&connections),
                    ));
                    connections
                        .lock()
                        .expect("not poisoned")
                        .push(relay.abort_handle());
                }
            })
            .abort_handle()
        };
        Proxy {
            address,
            open,
            connections,
            trap,
            accept,
        }
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for relay in self.connections.lock().expect("not poisoned").drain(..) {
            relay.abort();
        }
    }

    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }

    /// Cuts every connection when a client next sends `COMMIT` (once):
    /// the client never learns whether it committed.
    pub fn cut_at_next_commit(&self, trap: CommitTrap) {
        *self.trap.lock().expect("not poisoned") = Some(trap);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}
