//! Read-your-writes on MariaDB Galera (docs/contract.md §10): a node reads
//! what it has applied, which may lag the cluster by a few transactions.
//! With `wsrep_sync_wait = 1` every read and every `BEGIN` first waits until
//! the node has applied everything the cluster committed before it, so a
//! registrar who saved through one node never opens a stale form, and a new
//! session is never unknown, through another.

use sea_orm::sqlx::{self, MySqlConnection};

/// Run on every new MySQL/MariaDB connection: when the server is a Galera
/// node (`wsrep_on` is `ON`), reads on this connection wait for the
/// cluster. Plain MySQL/MariaDB is left as it is.
pub async fn on_connect(connection: &mut MySqlConnection) -> Result<(), sqlx::Error> {
    if is_galera_node(connection).await? {
        sqlx::Executor::execute(&mut *connection, "SET SESSION wsrep_sync_wait = 1").await?;
    }
    Ok(())
}

async fn is_galera_node(connection: &mut MySqlConnection) -> Result<bool, sqlx::Error> {
    // `SHOW VARIABLES` answers nothing (rather than failing) where the
    // variable does not exist, as on MySQL.
    let row: Option<(String, String)> = sqlx::query_as("SHOW VARIABLES LIKE 'wsrep_on'")
        .fetch_optional(&mut *connection)
        .await?;
    Ok(row.is_some_and(|(_, value)| value.eq_ignore_ascii_case("ON")))
}
