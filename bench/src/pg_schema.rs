//! A PostgreSQL schema of its own for each PostgreSQL figure, dropped once the figure is
//! taken: runs never see each other's data, and a run does not leave its hundred megabytes
//! and more behind on the server (which, piling up, slowed later runs' figures).

use crate::error::BenchError;

/// A schema created for one figure; [`FreshSchema::remove`] drops it with all it holds.
pub(crate) struct FreshSchema {
    server_url: String,
    name: String,
    /// The server's URL with every connection's `search_path` set to the schema.
    pub url: String,
}

impl FreshSchema {
    /// Creates an empty schema on the server `server_url` names.
    pub async fn create(server_url: &str) -> Result<FreshSchema, BenchError> {
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        execute(server_url, &format!("CREATE SCHEMA {name}")).await?;
        let sep = if server_url.contains('?') { '&' } else { '?' };
        Ok(FreshSchema {
            url: format!("{server_url}{sep}options=-csearch_path%3D{name}"),
            server_url: server_url.to_owned(),
            name,
        })
    }

    /// Drops the schema and everything in it. Connections HQ still keeps open hold no lock
    /// once idle; one that does (a run that failed halfway) makes this fail after ten
    /// seconds rather than wait for ever.
    pub async fn remove(self) -> Result<(), BenchError> {
        let sql = format!(
            "SET lock_timeout = '10s'; DROP SCHEMA {} CASCADE",
            self.name
        );
        execute(&self.server_url, &sql).await
    }
}

async fn execute(url: &str, sql: &str) -> Result<(), BenchError> {
    let failed = |e: tokio_postgres::Error| BenchError::Failed(format!("PostgreSQL: {e}"));
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(failed)?;
    let task = tokio::spawn(connection);
    let result = client.batch_execute(sql).await.map_err(failed);
    drop(client);
    let _ = task.await;
    result
}
