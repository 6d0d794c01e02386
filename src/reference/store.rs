//! The two code tables. They share one shape, so one set of functions serves both.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::DbConn;
use crate::error::ApiError;

/// Which code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Districts,
    Industries,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Self::Districts => "districts",
            Self::Industries => "industries",
        }
    }

    /// The aggregate type of its audit events.
    pub fn aggregate(self) -> &'static str {
        match self {
            Self::Districts => "district",
            Self::Industries => "industry",
        }
    }
}

#[derive(Debug, Clone, QueryableByName, serde::Serialize, utoipa::ToSchema)]
pub struct CodeName {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
}

pub fn list(conn: &mut DbConn, table: Table) -> Result<Vec<CodeName>, ApiError> {
    Ok(diesel::sql_query(format!(
        "SELECT code, name FROM {} ORDER BY code",
        table.name()
    ))
    .load(conn)?)
}

/// Inserts or renames; returns whether the code is new.
pub fn upsert(conn: &mut DbConn, table: Table, code: &str, name: &str) -> Result<bool, ApiError> {
    let updated = diesel::sql_query(format!(
        "UPDATE {} SET name = $1 WHERE code = $2",
        table.name()
    ))
    .bind::<Text, _>(name)
    .bind::<Text, _>(code)
    .execute(conn)?;
    if updated > 0 {
        return Ok(false);
    }
    diesel::sql_query(format!(
        "INSERT INTO {} (code, name) VALUES ($1, $2)",
        table.name()
    ))
    .bind::<Text, _>(code)
    .bind::<Text, _>(name)
    .execute(conn)?;
    Ok(true)
}
