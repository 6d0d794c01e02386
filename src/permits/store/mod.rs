//! Permits in the database: types, applications, certificates, the number sequences, and the
//! two functions that gather what the rules read: [`rule_inputs`] before a decision's write
//! transaction, [`certificate_inputs`] inside it.

//!
//! One file per sub-resource: [`types`], [`applications`], [`certificates`], [`inputs`] (what
//! the rules read), [`figures`]; shared here: the ids drawn before a row is written, and the
//! insert that writes a row with its first audit events.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::{DbConn, prepared_returning};
use crate::enterprises::store::EnterpriseRow;
use crate::error::ApiError;
use crate::ids::{ApplicationId, CertificateId, EnterpriseId};

/// The id the next application will have, for a draft (a decision draws it with its reads,
/// [`certificate_inputs`]).
pub fn next_application_id(conn: &mut DbConn) -> Result<ApplicationId, ApiError> {
    next_id(
        conn,
        &["SELECT nextval(pg_get_serial_sequence('applications', 'id'))"],
        &["SELECT COALESCE(MAX(id), 0) + 1 FROM applications"],
    )
    .map(ApplicationId)
}

/// The id the next certificate will have, taken before the certificate is written (see
/// [`links_ahead`]).
pub fn next_certificate_id(conn: &mut DbConn) -> Result<CertificateId, ApiError> {
    next_id(
        conn,
        &["SELECT nextval(pg_get_serial_sequence('certificates', 'id'))"],
        &["SELECT COALESCE(MAX(id), 0) + 1 FROM certificates"],
    )
    .map(CertificateId)
}

/// PostgreSQL draws the id from the table's sequence. On SQLite this runs inside a write
/// transaction, which holds the database's only write lock, and gives the rowid SQLite itself
/// would give the next row (neither table ever loses a row).
fn next_id(
    conn: &mut DbConn,
    pg: &'static [&'static str],
    sqlite: &'static [&'static str],
) -> Result<i64, ApiError> {
    let sql = match conn {
        DbConn::Pg(_) => pg,
        DbConn::Sqlite(_) => sqlite,
    };
    Ok(prepared_returning::<BigInt, _>(sql, ()).get_result(conn)?)
}

/// Whether an application may be written already linked to a certificate not yet written.
/// PostgreSQL checks that link when the transaction commits (migration 000011), so an instant
/// approval writes the application once, linked, and no update follows under the certificate
/// serial's lock. SQLite checks it at once, so there the link is written after the certificate
/// ([`link_certificate`]); its write transactions are serial, so no lock is held longer for it.
pub fn links_ahead(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Pg(_))
}

/// Runs `$insert` (a diesel insert `RETURNING` the row) and writes `$events` (a
/// `NewChain`) with it: one statement on PostgreSQL (`db::with_also`), one after the other on
/// SQLite, which accepts no write inside `WITH`.
macro_rules! insert_with_events {
    ($conn:expr, $insert:expr, $events:expr $(,)?) => {{
        let insert = $insert;
        match $conn {
            DbConn::Pg(pg) => with_also(insert, $events.insert())
                .get_result(pg)
                .map_err(taken_is_conflict)?,
            DbConn::Sqlite(lite) => {
                let row = insert.get_result(lite)?;
                $events.append($conn)?;
                row
            }
        }
    }};
}

mod applications;
mod certificates;
mod figures;
mod inputs;
mod types;

pub use applications::*;
pub use certificates::*;
pub use figures::*;
pub use inputs::*;
pub use types::*;

/// The enterprise's record, for the holder snapshot and the rules.
pub fn enterprise(conn: &mut DbConn, id: EnterpriseId) -> Result<EnterpriseRow, ApiError> {
    crate::enterprises::store::find(conn, id)?.ok_or(ApiError::NotFound)
}
