//! Seed data for reports and rewards: the demo set (`anjian seed demo`, `demo.rs`) and the
//! city-year (`anjian seed city-year`, `city_year.rs`).

mod city_year;
mod demo;

pub use city_year::{CITY_YEAR, CityYearReports, REPORTS_HANDLED, REWARDS_PAID_FEN, city_year};
pub use demo::demo;
