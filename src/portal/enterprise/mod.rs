//! The enterprise pages (PORTAL 7.4): the 三零e办 front door, under `/e/`, a file per
//! sub-resource. Every page is for a signed-in enterprise account (`Signed<EnterpriseOnly>`: a
//! visitor without a session is sent to sign in, staff get the 403 page), reads through the
//! capabilities' scoped use cases (another enterprise's record is the 404 page) and writes
//! through the use cases the JSON handlers call.

pub(crate) mod applications;
mod apply;
mod certificates;
mod enforcement;
mod form;
mod hazards;
mod negative_list;
mod workbench;

use actix_web::web;

use super::page::{Ctx, Problems, Signed};
use super::view::{date_opt, local, permit_write, word};
use crate::auth::EnterpriseOnly;
use crate::error::ApiError;
use crate::ids::EnterpriseId;

pub fn routes(cfg: &mut web::ServiceConfig) {
    workbench::routes(cfg);
    apply::routes(cfg);
    applications::routes(cfg);
    certificates::routes(cfg);
    hazards::routes(cfg);
    negative_list::routes(cfg);
    enforcement::routes(cfg);
}

/// A page of an enterprise account.
pub(super) type Ent = Signed<EnterpriseOnly>;

/// The account's own enterprise (an enterprise account bound to none may do nothing: 403).
fn own(s: &Ent) -> Result<EnterpriseId, ApiError> {
    s.user.enterprise_id.ok_or(ApiError::Forbidden)
}

/// One problem of a form, for the summary at the top: the field's id and its message.
pub(super) struct Problem {
    pub target: String,
    pub label: String,
    pub message: String,
}

/// A field error's message in the page's language: the API's message in English, the
/// catalog's text for its code in Chinese (the API's message when there is none).
fn message(c: &Ctx, code: &str, api_message: &str) -> String {
    match c.t.lang {
        super::i18n::Lang::En => api_message.to_owned(),
        super::i18n::Lang::Zh => c.t.t_or(&format!("e-err-{code}"), api_message),
    }
}

/// The messages of exactly `field` (not of its sub-fields).
fn messages_of(c: &Ctx, problems: &Problems, field: &str) -> Vec<String> {
    problems
        .items
        .iter()
        .filter(|e| e.field == field)
        .map(|e| message(c, &e.code, &e.message))
        .collect()
}

/// The id of a form control named `name` (`f.chemicals[0].cas_no` → `f-chemicals-0--cas_no`).
fn id_of(name: &str) -> String {
    name.chars()
        .map(|ch| {
            if matches!(ch, '.' | '[' | ']') {
                '-'
            } else {
                ch
            }
        })
        .collect()
}

/// Yuan as typed (`1,234.5`) to fen; `None` when it is not an amount.
fn fen_of(raw: &str) -> Option<i64> {
    let raw = raw.trim().replace([',', '¥'], "");
    let (yuan, cents) = raw.split_once('.').unwrap_or((&raw, ""));
    if yuan.is_empty()
        || !yuan.bytes().all(|b| b.is_ascii_digit())
        || cents.len() > 2
        || !cents.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let cents = format!("{cents:0<2}");
    yuan.parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents.parse::<i64>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids_are_the_names_without_brackets_or_dots() {
        assert_eq!(id_of("f.chemicals[0].cas_no"), "f-chemicals-0--cas_no");
        assert_eq!(id_of("f.premises_address"), "f-premises_address");
    }

    #[test]
    fn amounts_in_yuan_are_read_to_fen() {
        assert_eq!(fen_of("1,234.5"), Some(123_450));
        assert_eq!(fen_of("80000"), Some(8_000_000));
        assert_eq!(fen_of("0.07"), Some(7));
        for bad in ["", "1.234", "-5", "abc", "1.2.3"] {
            assert_eq!(fen_of(bad), None, "{bad}");
        }
    }
}
