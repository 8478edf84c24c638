//! How many connections, and for how long: from flags and the environment.

use std::time::Duration;

use super::activity::Timeouts;

/// Limits on connections, from flags and the environment.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Connections")]
pub struct ConnectionLimits {
    /// Seconds a client has to send a request's headers: from opening the
    /// connection, or from the first byte of a later request on it.
    #[arg(long, env = "REGISTRAR_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a keep-alive connection may stay idle between requests
    /// before it is closed (also: how long a request may make no progress).
    #[arg(long, env = "REGISTRAR_IDLE_TIMEOUT_SECS", default_value_t = 75)]
    pub idle_timeout_secs: u64,

    /// Connections open at once. At the cap, the connection idle longest
    /// between requests is closed for a newcomer; with none idle, new ones
    /// wait (unaccepted) until one closes. Lowered at start to fit the
    /// open-file limit.
    #[arg(long, env = "REGISTRAR_MAX_CONNECTIONS", default_value_t = 1_024)]
    pub max_connections: usize,

    /// Connections one client address may hold at once; more are closed as
    /// soon as they open (0: no cap). Default 64, or no cap when
    /// --client-ip-header says a proxy is in front (every connection then
    /// comes from the proxy, which limits its own clients).
    #[arg(long, env = "REGISTRAR_MAX_CONNECTIONS_PER_CLIENT")]
    pub max_connections_per_client: Option<usize>,
}

/// Connections one client address may hold by default (see
/// [`ConnectionLimits::max_connections_per_client`]).
pub const DEFAULT_PER_CLIENT: usize = 64;

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout_secs: 10,
            idle_timeout_secs: 75,
            max_connections: 1_024,
            max_connections_per_client: None,
        }
    }
}

impl ConnectionLimits {
    /// The cap per client address, `None` for none: as given, else the
    /// default unless a proxy is in front (`behind_proxy`).
    pub fn per_client(&self, behind_proxy: bool) -> Option<usize> {
        match self.max_connections_per_client {
            Some(0) => None,
            Some(cap) => Some(cap),
            None if behind_proxy => None,
            None => Some(DEFAULT_PER_CLIENT),
        }
    }

    pub(super) fn timeouts(&self) -> Timeouts {
        Timeouts {
            header: Duration::from_secs(self.header_timeout_secs.max(1)),
            idle: Duration::from_secs(self.idle_timeout_secs.max(1)),
        }
    }

    /// The cap, lowered so that connections plus `reserved` other
    /// descriptors (database pool, files, the listener) fit the process's
    /// open-file limit: beyond it `accept` would fail instead of waiting.
    pub(super) fn cap(&self, reserved: usize) -> usize {
        let wanted = self.max_connections.max(1);
        match open_file_limit() {
            Some(limit) if limit.saturating_sub(reserved) < wanted => {
                let fits = limit.saturating_sub(reserved).max(1);
                tracing::warn!(
                    wanted,
                    open_file_limit = limit,
                    cap = fits,
                    "the connection cap is lowered to fit the open-file limit (ulimit -n)"
                );
                fits
            }
            _ => wanted,
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn open_file_limit() -> Option<usize> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as usize)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn open_file_limit() -> Option<usize> {
    None
}
