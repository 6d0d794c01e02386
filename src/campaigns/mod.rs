//! Inspection campaigns (SPEC 4, 安全生产排查整治行动): campaigns and their key-task board,
//! inspection groups and stationings, the figures of the city's yearly report, and the
//! synthetic city year. The inspections, hazards, penalties and orders are in
//! `crate::enforcement`.

pub mod city_year;
pub mod domain;
pub mod handlers;
pub mod seed;
pub mod stats;
pub mod store;
pub mod usecases;
