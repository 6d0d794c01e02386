//! Keyset pagination: lists are newest first (id descending), `cursor` is the opaque position
//! after the last item of the previous page, so pages stay stable while rows are inserted.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    /// Only ids strictly below this one.
    pub before_id: Option<i64>,
}

impl PageRequest {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field("limit", "out_of_range", "must be 1 to 200"));
        }
        let before_id = cursor.map(decode_cursor).transpose()?;
        Ok(Self { limit, before_id })
    }

    /// The first `limit` rows (for a caller that shows one page of its own, as the portal's
    /// lists do): no cursor.
    pub fn first(limit: i64) -> Self {
        Self {
            limit,
            before_id: None,
        }
    }

    /// How many rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("id:{id}"))
}

fn decode_cursor(raw: &str) -> Result<i64, ApiError> {
    let bad = || ApiError::field("cursor", "invalid", "is not a cursor this service issued");
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("id:")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(bad)
}

/// `{items, next_cursor}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Cuts the extra row fetched by [`PageRequest::fetch`] and sets the cursor from the last
    /// item kept.
    pub fn from_rows(mut rows: Vec<T>, page: PageRequest, id_of: impl Fn(&T) -> i64) -> Self {
        let more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(id_of(r)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    /// The page of `rows` (fetched with [`PageRequest::fetch`]), each turned into its view.
    pub fn of<R, E>(
        rows: Vec<R>,
        page: PageRequest,
        id_of: impl Fn(&R) -> i64,
        view: impl FnMut(R) -> Result<T, E>,
    ) -> Result<Self, E> {
        Page::from_rows(rows, page, id_of).try_map(view)
    }

    /// Each item turned into another, the first failure failing the page.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next_cursor: self.next_cursor,
        })
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let page = PageRequest::parse(Some(10), Some(&encode_cursor(42))).unwrap();
        assert_eq!(
            page,
            PageRequest {
                limit: 10,
                before_id: Some(42)
            }
        );
        assert!(PageRequest::parse(None, Some("!!")).is_err());
        assert!(PageRequest::parse(None, Some(&URL_SAFE_NO_PAD.encode("id:-1"))).is_err());
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(201), None).is_err());
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, 50);
    }

    #[test]
    fn a_page_keeps_limit_rows_and_points_past_the_last() {
        let page = PageRequest {
            limit: 2,
            before_id: None,
        };
        let p = Page::from_rows(vec![9, 8, 7], page, |x| *x);
        assert_eq!(p.items, vec![9, 8]);
        assert_eq!(p.next_cursor, Some(encode_cursor(8)));
        let p = Page::from_rows(vec![9, 8], page, |x| *x);
        assert_eq!(p.next_cursor, None);
    }
}
