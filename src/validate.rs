//! Field validation, free of HTTP: a [`Validator`] collects every bad field of an input so that
//! one answer names them all, and [`Invalid`] is what it finishes with. The domain rules use it;
//! the HTTP edge turns an [`Invalid`] into a 422 (`From<Invalid> for ApiError` in `error.rs`),
//! and a page shows each problem beside its field.

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

/// One bad field of a request: `field` is a JSON path such as `form.premises_area_m2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// One or more bad fields, each named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s)", .0.len())]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// One bad field.
    pub fn field(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, code, message)])
    }
}

/// Collects field errors so that one response names every bad field.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// Keeps the value of a successful parse, records the error of a failed one.
    pub fn check<T, E: fmt::Display>(
        &mut self,
        field: &str,
        code: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, code, err.to_string());
                None
            }
        }
    }

    /// Checks a text field's length in characters after trimming, returning the trimmed text.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> Option<String> {
        let trimmed = value.trim();
        let len = trimmed.chars().count();
        if len < min || len > max {
            let message = if min > 0 && len == 0 {
                "must not be empty".to_owned()
            } else {
                format!("must be {min} to {max} characters")
            };
            self.add(field, "invalid_length", message);
            None
        } else {
            Some(trimmed.to_owned())
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many field errors have been recorded so far.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    pub fn finish(self) -> Result<(), Invalid> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.errors))
        }
    }
}
