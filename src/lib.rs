//! anjian (安监): a city Emergency Management Bureau's work-safety regulation as one service.
//!
//! The rooms: shared machinery (`config`, `db`, `error`, `auth`, `audit`, `http`, `openapi`)
//! beside one folder per capability (`users`, `enterprises`, `reference`, …), each with the same
//! files: `domain` (pure rules), `store` (diesel), `handlers` (HTTP); and the web portal
//! (`portal`), whose pages call the same use cases as the handlers. See `docs/ARCHITECTURE.md`.

pub mod actor;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod canonical;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod enforcement;
pub mod enterprises;
pub mod error;
pub mod http;
pub mod ids;
pub mod kdf;
pub mod negative_lists;
pub mod openapi;
pub mod permits;
pub mod portal;
pub mod reference;
pub mod reports;
pub mod schema;
pub mod sealing;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod text_enum;
pub mod totp;
pub mod users;
pub mod validate;
