//! The gates of the reporter's anonymous routes, shared by the JSON routes
//! (`handlers/public.rs`) and the portal's public pages, so that both are limited by the same
//! counters in the same way: filing is limited per client address (`ANJIAN_REPORT_RATE`);
//! every receipt route refuses an address that has sent too many wrong receipts
//! (`ANJIAN_RECEIPT_RATE`), and a wrong receipt counts against it.
//!
//! The client address is only the key of these in-memory counters: it is never logged or stored.

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::error::ApiError;
use crate::state::AppState;

/// Refuses a filing from an address past the filing rate (429).
pub fn filing(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    state.limits.report.check(state.limits.client_ip(req))
}

/// Refuses an address that has sent too many wrong receipts (429 until the window passes);
/// answers the address, to count a wrong receipt against it ([`wrong_receipt`]).
pub fn receipt(state: &AppState, req: &HttpRequest) -> Result<IpAddr, ApiError> {
    let ip = state.limits.client_ip(req);
    state.limits.receipt.check(ip, state.clock.now())?;
    Ok(ip)
}

/// A wrong receipt: counted against the address, then 404.
pub fn wrong_receipt(state: &AppState, ip: IpAddr) -> ApiError {
    state.limits.receipt.strike(ip, state.clock.now());
    ApiError::NotFound
}
