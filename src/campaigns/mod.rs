//! Inspection campaigns (SPEC 4, 安全生产排查整治行动): campaigns and their key-task board,
//! inspection groups and stationings, inspections, hazards and their rectification, penalties,
//! suspension orders, and the figures of the city's yearly report.

pub mod city_year;
pub mod domain;
pub mod handlers;
pub mod seed;
pub mod stats;
pub mod store;
