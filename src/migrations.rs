//! Applies the SQL files embedded by build.rs, in order, one transaction per file.
use crate::database::{Client, DbError};
use crate::store;

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
        if store::apply_migration(db, migration.version, migration.name, migration.sql).await? {
            applied.push(migration.version);
        }
    }
    Ok(applied)
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
