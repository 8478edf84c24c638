//! A fresh database per test, on SQLite, PostgreSQL or MySQL/MariaDB,
//! removed when the test is done (leftovers of crashed runs are swept).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

/// The database servers registrar runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::MySql];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MySQL/MariaDB",
        }
    }

    /// The server's URL, from `REGISTRAR_TEST_POSTGRES_URL` /
    /// `REGISTRAR_TEST_MYSQL_URL` or the standard local servers.
    pub fn server_url(self) -> Option<String> {
        let (var, default) = match self {
            Backend::Sqlite => return None,
            Backend::Postgres => (
                "REGISTRAR_TEST_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432/test",
            ),
            Backend::MySql => (
                "REGISTRAR_TEST_MYSQL_URL",
                "mysql://root@127.0.0.1:3306/test",
            ),
        };
        Some(std::env::var(var).unwrap_or_else(|_| default.to_owned()))
    }
}

/// Whether `REGISTRAR_REQUIRE_SERVERS=1`: an unreachable server is then a
/// failure instead of a skip.
pub fn servers_required() -> bool {
    std::env::var("REGISTRAR_REQUIRE_SERVERS").is_ok_and(|v| v == "1")
}

const PREFIX: &str = "registrar_test_";
/// Databases of runs older than this are taken for leftovers and dropped.
const LEFTOVER_AGE: Duration = Duration::from_secs(6 * 3600);

/// A database of its own for one test; dropped (or its file deleted) when
/// this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    pub backend: Backend,
    /// The URL the app connects to.
    pub url: String,
    location: Location,
}

#[derive(Debug)]
enum Location {
    File(PathBuf),
    Server { admin_url: String, name: String },
}

impl TestDatabase {
    /// Creates an empty database. `None` when the backend's server is
    /// unreachable and servers are not required (the skip is said on the
    /// terminal and counted in a summary at the end of the run, see
    /// [`report_skip`](super::report_skip)); a panic when they are.
    pub async fn create(backend: Backend) -> Option<TestDatabase> {
        TestDatabase::create_at(backend, backend.server_url()).await
    }

    /// [`TestDatabase::create`] on the server `admin_url` names (say, a
    /// cluster's node or the proxy in front of it) instead of the
    /// backend's usual one; `None` is SQLite.
    pub async fn create_at(backend: Backend, admin_url: Option<String>) -> Option<TestDatabase> {
        let name = unique_name();
        let Some(admin_url) = admin_url else {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            return Some(TestDatabase {
                backend,
                url: format!("sqlite://{}?mode=rwc", path.display()),
                location: Location::File(path),
            });
        };
        let admin = match connect_admin_once_reachable(&admin_url).await {
            Ok(admin) => admin,
            Err(reason) => {
                let message = format!("unreachable at {admin_url}: {reason}");
                if servers_required() {
                    panic!(
                        "{} is {message}, and REGISTRAR_REQUIRE_SERVERS=1",
                        backend.name()
                    );
                }
                super::skips::report_skip(backend.name(), &message, "REGISTRAR_REQUIRE_SERVERS=1");
                return None;
            }
        };
        static SWEEP: Once = Once::new();
        let mut sweep = false;
        SWEEP.call_once(|| sweep = true);
        if sweep {
            sweep_leftovers(&admin, backend).await;
        }
        let create = match backend {
            Backend::MySql => {
                format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            }
            _ => format!("CREATE DATABASE \"{name}\""),
        };
        admin
            .execute_unprepared(&create)
            .await
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        let _ = admin.close().await;
        Some(TestDatabase {
            backend,
            url: replace_database(&admin_url, &name),
            location: Location::Server { admin_url, name },
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.location {
            Location::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Location::Server { admin_url, name } => {
                let (admin_url, name, backend) = (admin_url.clone(), name.clone(), self.backend);
                // Drop runs inside the test's runtime; a thread with its own
                // runtime can block on the drop without upsetting it.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(runtime) = runtime {
                        runtime.block_on(async {
                            if let Ok(admin) = connect_admin(&admin_url).await {
                                drop_database(&admin, backend, &name).await;
                                let _ = admin.close().await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// Backends found unreachable in this run, and why: later tests skip at
/// once instead of waiting for a connect timeout each.
/// Servers are told apart by their admin URL (a cluster's nodes are
/// servers of the same backend).
static UNREACHABLE: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

async fn connect_admin_once_reachable(url: &str) -> Result<DatabaseConnection, String> {
    let known = UNREACHABLE.lock().ok().and_then(|down| {
        down.iter()
            .find(|(server, _)| server == url)
            .map(|(_, r)| r.clone())
    });
    if let Some(reason) = known {
        return Err(reason);
    }
    connect_admin(url).await.inspect_err(|reason| {
        if let Ok(mut down) = UNREACHABLE.lock() {
            down.push((url.to_owned(), reason.clone()));
        }
    })
}

async fn connect_admin(url: &str) -> Result<DatabaseConnection, String> {
    // The pool reports any failure as "pool timed out"; a plain connect
    // first says what is wrong ("Connection refused").
    if let Some(address) = url::Url::parse(url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
    {
        let connect = tokio::net::TcpStream::connect(&address);
        match tokio::time::timeout(Duration::from_secs(3), connect).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err(format!("no answer from {address} in 3 s")),
        }
    }
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .connect_timeout(Duration::from_secs(3))
        .sqlx_logging(false);
    match tokio::time::timeout(Duration::from_secs(5), Database::connect(options)).await {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

async fn drop_database(admin: &DatabaseConnection, backend: Backend, name: &str) {
    let sql = match backend {
        Backend::MySql => format!("DROP DATABASE IF EXISTS `{name}`"),
        _ => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    };
    if let Err(e) = admin.execute_unprepared(&sql).await {
        eprintln!("could not drop test database {name}: {e}");
    }
}

/// Drops test databases left by runs that crashed long ago.
async fn sweep_leftovers(admin: &DatabaseConnection, backend: Backend) {
    let sql = match backend {
        Backend::MySql => {
            "SELECT CAST(schema_name AS CHAR) AS name FROM information_schema.schemata"
        }
        _ => "SELECT datname AS name FROM pg_database",
    };
    let db_backend = match backend {
        Backend::MySql => DbBackend::MySql,
        _ => DbBackend::Postgres,
    };
    let Ok(rows) = admin
        .query_all_raw(Statement::from_string(db_backend, sql))
        .await
    else {
        return;
    };
    let now = unix_seconds();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "name") else {
            continue;
        };
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| now.saturating_sub(created) > LEFTOVER_AGE.as_secs()) {
            drop_database(admin, backend, &name).await;
        }
    }
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `registrar_test_<unix seconds>_<pid>_<counter>`: unique within and
/// across processes, and dated for the sweep.
fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{PREFIX}{}_{}_{}",
        unix_seconds(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The URL with its database (the path) replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn the_database_is_replaced_in_the_url() {
        assert_eq!(
            replace_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            replace_database("mysql://root@h:3306/test?ssl-mode=disabled", "x"),
            "mysql://root@h:3306/x?ssl-mode=disabled"
        );
        assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
    }
}
