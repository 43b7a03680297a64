//! The schema: the SQL files build.rs embeds, applied in order, one transaction per file, with
//! `schema_migrations` recording what is done. Native only (the `migrate` binary and the tests);
//! the worker never changes the schema. Nothing here goes through Hyperdrive.
use crate::database::{Client, DbError};

pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Returns the versions it applied; running it again applies nothing.
pub async fn run(db: &mut Client) -> Result<Vec<u32>, DbError> {
    let mut applied = Vec::new();
    for migration in MIGRATIONS {
        if apply(db, migration.version, migration.name, migration.sql).await? {
            applied.push(migration.version);
        }
    }
    Ok(applied)
}

/// Applies one migration unless `schema_migrations` already lists it; returns whether it did.
async fn apply(db: &mut Client, version: u32, name: &str, sql: &str) -> Result<bool, DbError> {
    db.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let tx = db.transaction().await?;
    // Two migrators started at once queue here instead of both applying the same file.
    tx.execute("SELECT pg_advisory_xact_lock(7305550001)", &[])
        .await?;
    let applied = tx
        .query_opt(
            "SELECT 1 FROM schema_migrations WHERE version = $1",
            &[&(version as i32)],
        )
        .await?
        .is_some();
    if applied {
        return Ok(false);
    }
    tx.batch_execute(sql).await.map_err(|e| {
        DbError(format!(
            "migration {version:04}_{name}: {}",
            DbError::from(e)
        ))
    })?;
    tx.execute(
        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
        &[&(version as i32), &name],
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_in_order_without_gaps() {
        let versions: Vec<u32> = MIGRATIONS.iter().map(|m| m.version).collect();
        let expected: Vec<u32> = (1..=MIGRATIONS.len() as u32).collect();
        assert_eq!(versions, expected);
        assert!(MIGRATIONS[0].sql.contains("CREATE TABLE active_calls"));
    }
}
