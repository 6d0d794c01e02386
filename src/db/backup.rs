//! `anjian backup FILE` (SPEC 6): a consistent copy of a SQLite database, taken while the
//! service runs and writes. PostgreSQL has its own tools (`pg_dump`, continuous archiving).
//!
//! The copy is SQLite's `VACUUM INTO`: it reads the database in one read transaction, so it
//! holds exactly the transactions committed before it began, and in WAL mode it blocks no
//! writer (the service's writes go on meanwhile, into the log). The result is a compact,
//! self-contained database file that needs no log beside it.

use std::path::Path;

use diesel::connection::SimpleConnection;

use super::{ConnectionManager, DatabaseUrl, DbConn};

/// Why no copy was written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL: the message says what to use instead.
    #[error(
        "`anjian backup` copies SQLite databases only; for PostgreSQL use `pg_dump` (for \
         example `pg_dump --format=custom --file=anjian.dump \"$DATABASE_URL\"`, restored with \
         `pg_restore`) or continuous archiving (base backups and WAL archiving) for a \
         point-in-time recovery"
    )]
    Postgres,
    #[error("{0}")]
    Failed(String),
}

/// Writes a consistent copy of the SQLite database at `url` to `dest`, which must not exist.
pub fn backup(url: &DatabaseUrl, dest: &Path) -> Result<(), BackupError> {
    let DatabaseUrl::Sqlite(source) = url else {
        return Err(BackupError::Postgres);
    };
    // Opening a missing file would create an empty database, and copy that.
    if !source.is_file() {
        return Err(BackupError::Failed(format!(
            "no database at {}",
            source.display()
        )));
    }
    if dest.exists() {
        return Err(BackupError::Failed(format!(
            "{} exists; the copy is written to a new file only",
            dest.display()
        )));
    }
    let dest_text = dest
        .to_str()
        .ok_or_else(|| BackupError::Failed("the copy's path is not valid UTF-8".into()))?;
    let mut conn = ConnectionManager::new(url.clone())
        .connect_now()
        .map_err(|e| BackupError::Failed(format!("cannot open {}: {e}", source.display())))?;
    let DbConn::Sqlite(_) = conn else {
        return Err(BackupError::Postgres);
    };
    // The path is the only text in the statement, written as an SQL string literal.
    let statement = format!("VACUUM INTO '{}'", dest_text.replace('\'', "''"));
    conn.batch_execute(&statement)
        .map_err(|e| BackupError::Failed(format!("the copy failed: {e}")))?;
    Ok(())
}
