//! The figures of the city's yearly report (`/stats/inspections`), counted in the database by
//! `stats.rs`.

use chrono::NaiveDate;

use super::CampaignError;
use crate::campaigns::stats::{self, InspectionStats, Scope};
use crate::campaigns::store;
use crate::db::DbConn;
use crate::ids::CampaignId;
use crate::reference::store::{self as reference, Table};
use crate::validate::Validator;

/// What the figures count: one campaign, or an inclusive range of local dates (either end
/// open); not both.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub campaign_id: Option<CampaignId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The figures by campaign (which must exist) or by dates (`to` not before `from`), with a row
/// for every district and industry of the reference tables, zeros included; overdue is judged
/// on `today`.
pub fn inspections(
    conn: &mut DbConn,
    today: NaiveDate,
    period: Period,
) -> Result<InspectionStats, CampaignError> {
    let mut v = Validator::new();
    if period.campaign_id.is_some() {
        if period.from.is_some() {
            v.add("from", "invalid", "count either by campaign or by dates");
        }
        if period.to.is_some() {
            v.add("to", "invalid", "count either by campaign or by dates");
        }
    }
    if let (Some(f), Some(t)) = (period.from, period.to)
        && t < f
    {
        v.add("to", "out_of_range", "must not be before from");
    }
    v.finish()?;
    let scope = match period.campaign_id {
        Some(c) => Scope::Campaign(c),
        None => Scope::dates(period.from, period.to),
    };
    if let Scope::Campaign(c) = scope {
        store::find_campaign(conn, c)?.ok_or(CampaignError::NotFound)?;
    }
    let codes = |conn: &mut DbConn, table| -> Result<Vec<String>, CampaignError> {
        Ok(reference::list(conn, table)?
            .into_iter()
            .map(|c| c.code)
            .collect())
    };
    let districts = codes(conn, Table::Districts)?;
    let industries = codes(conn, Table::Industries)?;
    Ok(stats::compute(conn, scope, today, &districts, &industries)?)
}
