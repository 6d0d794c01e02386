//! The enterprise pages (PORTAL 7.4): the 三零e办 front door, under `/e/`.

use actix_web::web;

pub fn routes(_cfg: &mut web::ServiceConfig) {}
