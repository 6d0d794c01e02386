//! The permit types as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConn, on_backend};
use crate::error::ApiError;
use crate::permits::domain::{FieldDef, PermitKind, PermitMode, PermitType};
use crate::schema::permit_types;

/// Every column of `permit_types`, in table order.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = permit_types)]
pub struct PermitTypeRow {
    pub code: String,
    pub name: String,
    pub mode: String,
    pub kind: String,
    pub validity_months: Option<i32>,
    pub statutory_days: i32,
    pub industries: String,
    pub fields: String,
    pub applies_to: String,
    pub certificate_prefix: Option<String>,
    pub active: bool,
    pub updated_at: Option<NaiveDateTime>,
}

impl PermitTypeRow {
    pub fn to_domain(&self) -> Result<PermitType, ApiError> {
        let bad = |what: &str| {
            ApiError::internal(format!("permit type {}: bad {what} stored", self.code))
        };
        Ok(PermitType {
            code: self.code.clone(),
            name: self.name.clone(),
            mode: PermitMode::parse(&self.mode).ok_or_else(|| bad("mode"))?,
            kind: PermitKind::parse(&self.kind).ok_or_else(|| bad("kind"))?,
            validity_months: self.validity_months.map(|m| m as u32),
            statutory_days: self.statutory_days as u32,
            industries: serde_json::from_str(&self.industries).map_err(|_| bad("industries"))?,
            fields: serde_json::from_str::<Vec<FieldDef>>(&self.fields)
                .map_err(|_| bad("fields"))?,
            applies_to: serde_json::from_str(&self.applies_to).map_err(|_| bad("applies_to"))?,
            certificate_prefix: self.certificate_prefix.clone(),
            active: self.active,
        })
    }
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = permit_types)]
pub struct PermitTypeChanges {
    pub statutory_days: Option<i32>,
    pub validity_months: Option<Option<i32>>,
    pub active: Option<bool>,
    pub updated_at: Option<Option<NaiveDateTime>>,
}

pub fn list_types(conn: &mut DbConn) -> Result<Vec<PermitTypeRow>, ApiError> {
    Ok(permit_types::table
        .select(PermitTypeRow::as_select())
        .order(permit_types::code.asc())
        .load(conn)?)
}

pub fn find_type(conn: &mut DbConn, code: &str) -> Result<Option<PermitTypeRow>, ApiError> {
    Ok(on_backend!(conn, |c| permit_types::table
        .find(code)
        .select(PermitTypeRow::as_select())
        .get_result(c)
        .optional())?)
}

pub fn update_type(
    conn: &mut DbConn,
    code: &str,
    changes: &PermitTypeChanges,
) -> Result<PermitTypeRow, ApiError> {
    diesel::update(permit_types::table.find(code))
        .set(changes)
        .returning(permit_types::all_columns)
        .get_result(conn)
        .optional()?
        .ok_or(ApiError::NotFound)
}
