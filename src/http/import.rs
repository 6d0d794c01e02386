//! The one reader of bulk imports: a JSON array, or a CSV file with a header row
//! (`Content-Type: text/csv`), into rows of the import's input type.
//!
//! Both formats end in the same rows and the same errors: a JSON body is read strictly (as every
//! JSON body, [`parse_json`]); a CSV file's header must name only the import's columns (each
//! unknown one is a 422 under its own name), a column left out reads as empty, and a cell that
//! does not fit its field is a 422 naming the row and the column (`[3].employee_count`, rows
//! counted from 0 after the header). An empty cell of an optional field is `None`.

use actix_web::{HttpMessage, HttpRequest, web};

use super::extract::{NUL, nul_error, parse_json, read_body};
use crate::error::ApiError;
use crate::validate::Validator;

/// An import of 10,000 rows is larger than the usual body limit.
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;

/// What an import's CSV file may hold.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    /// The header names, which are the input type's field names.
    pub names: &'static [&'static str],
    /// The import in words, for the unknown-column error (`"an enterprise import"`).
    pub of: &'static str,
}

/// The body's format, from its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// `application/json` or `text/csv`; anything else is 415.
    pub fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        let mime = req.mime_type().ok().flatten();
        match mime
            .as_ref()
            .map(|m| (m.type_().as_str(), m.subtype().as_str()))
        {
            Some(("application", "json")) => Ok(Self::Json),
            Some(("text", "csv")) => Ok(Self::Csv),
            _ => Err(ApiError::UnsupportedMediaType),
        }
    }
}

/// An import's rows and the body they came from (kept for idempotency hashing).
pub struct Import<T> {
    pub rows: Vec<T>,
    pub bytes: web::Bytes,
}

/// Reads an import body: 415 unless JSON or CSV (checked before the body is read), 413 past
/// `limit`, then [`read_rows`].
pub async fn read<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: &mut web::Payload,
    limit: usize,
    columns: Columns,
) -> Result<Import<T>, ApiError> {
    let format = Format::of(req)?;
    let bytes = read_body(req, payload, limit).await?;
    let rows = read_rows(format, &bytes, columns)?;
    Ok(Import { rows, bytes })
}

/// Parses a body of the given format into rows.
pub fn read_rows<T: serde::de::DeserializeOwned>(
    format: Format,
    bytes: &[u8],
    columns: Columns,
) -> Result<Vec<T>, ApiError> {
    match format {
        Format::Json => parse_json(bytes),
        Format::Csv => read_csv(bytes, columns),
    }
}

fn read_csv<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    columns: Columns,
) -> Result<Vec<T>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut headers = reader
        .headers()
        .map_err(|e| ApiError::MalformedJson(format!("unreadable CSV header: {e}")))?
        .clone();
    let mut v = Validator::new();
    for h in headers.iter().filter(|h| !columns.names.contains(h)) {
        v.add(
            h.to_owned(),
            "unknown_field",
            format!("is not a column of {}", columns.of),
        );
    }
    v.finish()?;
    // A column the file leaves out reads as empty in every row.
    let missing: Vec<&str> = columns
        .names
        .iter()
        .copied()
        .filter(|name| !headers.iter().any(|h| h == *name))
        .collect();
    headers.extend(missing.iter().copied());
    let mut rows = Vec::new();
    let mut errors = Validator::new();
    for (index, record) in reader.records().enumerate() {
        let mut record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.add(
                    format!("[{index}]"),
                    "invalid",
                    format!("unreadable CSV line: {e}"),
                );
                continue;
            }
        };
        record.extend(missing.iter().map(|_| ""));
        let before = errors.len();
        for (cell, name) in record.iter().zip(headers.iter()) {
            if cell.contains(NUL) {
                let e = nul_error(format!("[{index}].{name}"));
                errors.add(e.field, &e.code, e.message);
            }
        }
        if errors.len() > before {
            continue;
        }
        if let Some(row) = read_record(&mut record, &headers, index, &mut errors) {
            rows.push(row);
        }
    }
    errors.finish()?;
    Ok(rows)
}

/// One line into a row; every cell that does not fit its field is recorded under
/// `[index].column` (an unfit cell is emptied and the line read again, so that each one is
/// named, not only the first).
fn read_record<T: serde::de::DeserializeOwned>(
    record: &mut csv::StringRecord,
    headers: &csv::StringRecord,
    index: usize,
    errors: &mut Validator,
) -> Option<T> {
    let mut emptied = Vec::new();
    loop {
        let err = match record.deserialize::<T>(Some(headers)) {
            Ok(row) if emptied.is_empty() => return Some(row),
            Ok(_) => return None,
            Err(err) => err,
        };
        let csv::ErrorKind::Deserialize { err, .. } = err.kind() else {
            errors.add(format!("[{index}]"), "invalid", err.to_string());
            return None;
        };
        let field = err.field().and_then(|i| usize::try_from(i).ok());
        let name = field.and_then(|i| headers.get(i)).unwrap_or_default();
        if field.is_some_and(|i| emptied.contains(&i)) {
            // Empty does not fit either (a required field): it has been named already.
            return None;
        }
        let (code, message) = match err.kind() {
            csv::DeserializeErrorKind::ParseInt(_) => {
                ("invalid_type", "must be a whole number".to_owned())
            }
            csv::DeserializeErrorKind::ParseFloat(_) => {
                ("invalid_type", "must be a number".to_owned())
            }
            other => ("invalid", other.to_string()),
        };
        let path = if name.is_empty() {
            format!("[{index}]")
        } else {
            format!("[{index}].{name}")
        };
        errors.add(path, code, message);
        let i = field?;
        emptied.push(i);
        let cells: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(j, cell)| {
                if j == i {
                    String::new()
                } else {
                    cell.to_owned()
                }
            })
            .collect();
        *record = csv::StringRecord::from(cells);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Row {
        name: String,
        count: i64,
        share: Option<f64>,
        size: Option<i64>,
        note: Option<String>,
    }

    const COLUMNS: Columns = Columns {
        names: &["name", "count", "share", "size", "note"],
        of: "a test import",
    };

    fn fields(err: ApiError) -> Vec<(String, String)> {
        match err {
            ApiError::Validation(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn csv_rows_read_with_empty_cells_as_none_and_missing_columns_as_empty() {
        let rows: Vec<Row> =
            read_rows(Format::Csv, b"count,name\n 3 , a \n4,b\n", COLUMNS).unwrap();
        assert_eq!(
            rows,
            [
                Row {
                    name: "a".into(),
                    count: 3,
                    share: None,
                    size: None,
                    note: None
                },
                Row {
                    name: "b".into(),
                    count: 4,
                    share: None,
                    size: None,
                    note: None
                },
            ]
        );
    }

    #[test]
    fn unknown_columns_and_unfit_cells_are_each_named() {
        let err = read_rows::<Row>(Format::Csv, b"name,colour,weight\n", COLUMNS).unwrap_err();
        assert_eq!(
            fields(err),
            [
                ("colour".into(), "unknown_field".into()),
                ("weight".into(), "unknown_field".into())
            ]
        );
        // Every unfit cell of an optional field is named; a required one ends the line's reading.
        let err = read_rows::<Row>(
            Format::Csv,
            b"name,count,share,size\na,1,y,z\nb,,0.5,x\nc,1,2,3\n",
            COLUMNS,
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                ("[0].share".into(), "invalid_type".into()),
                ("[0].size".into(), "invalid_type".into()),
                ("[1].count".into(), "invalid_type".into()),
            ]
        );
    }

    #[test]
    fn json_arrays_read_strictly() {
        let rows: Vec<Row> = read_rows(
            Format::Json,
            br#"[{"name":"a","count":1,"share":null,"note":"n"}]"#,
            COLUMNS,
        )
        .unwrap();
        assert_eq!(rows[0].note.as_deref(), Some("n"));
        assert!(read_rows::<Row>(Format::Json, b"[{\"name\":1}]", COLUMNS).is_err());
    }
}
