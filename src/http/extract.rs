//! Request extractors that turn every kind of bad input into a clear problem document:
//! a body that is not JSON is 400 `malformed_json`; a wrong content type 415; a body over the
//! limit 413; an unknown field, a missing field or a value of the wrong type 422 naming the
//! field by its JSON path. Query strings get the same treatment, and a path segment that does
//! not parse (e.g. a non-numeric id) is simply 404.
//!
//! Text (SPEC 6): every string of a body (object keys included), every query parameter and
//! every path segment is refused here with a 422 naming it when it holds U+0000, which
//! PostgreSQL cannot store; everything else is passed on as sent, for the domain's validators
//! to judge (they bound every length that reaches an index). The one exception is the login
//! ([`JsonBody::value_with_any_text`]), where such a username is simply one that cannot exist.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// A parsed JSON body with its raw bytes, kept for idempotency hashing.
pub struct JsonWithBytes<T> {
    pub value: T,
    pub bytes: web::Bytes,
}

fn is_json(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(mime)) => {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        }
        _ => false,
    }
}

fn max_body(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<AppState>>()
        .map_or(1_048_576, |s| s.config.max_body_bytes)
}

/// Reads the whole body, refusing it with 413 as soon as it grows past `limit`.
pub async fn read_body<S>(
    req: &HttpRequest,
    payload: &mut S,
    limit: usize,
) -> Result<web::Bytes, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::PayloadTooLarge);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::MalformedJson(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Joins a serde path and a field name into `a.b[0].c` form.
fn join_path(path: &str, field: &str) -> String {
    if path == field || path.ends_with(&format!(".{field}")) {
        return path.to_owned();
    }
    match (path.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, true) => path.to_owned(),
        (false, false) => format!("{path}.{field}"),
    }
}

/// `a.b.0.c` (serde_path_to_error's form) → `a.b[0].c`; `.` (the root) → ``.
fn tidy_path(raw: &str) -> String {
    if raw == "." || raw == "?" {
        return String::new();
    }
    let mut out = String::new();
    for segment in raw.split('.') {
        if !segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(&message[start..end])
}

/// Classifies a data error (the body was JSON, but not the JSON we want) as a field error.
fn field_error(path: &str, message: &str) -> FieldError {
    let path = tidy_path(path);
    let clean = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    if clean.starts_with("unknown field") {
        let field = join_path(&path, backticked(&clean).unwrap_or_default());
        FieldError::new(field, "unknown_field", "is not a field of this request")
    } else if clean.starts_with("missing field") {
        let field = join_path(&path, backticked(&clean).unwrap_or_default());
        FieldError::new(field, "required", "is required")
    } else if clean.starts_with("invalid type") || clean.starts_with("invalid length") {
        FieldError::new(path, "invalid_type", clean)
    } else if clean.starts_with("unknown variant") {
        FieldError::new(path, "invalid_value", clean)
    } else {
        FieldError::new(path, "invalid", clean)
    }
}

/// The character no text may hold: PostgreSQL cannot store it, and no field means it.
pub const NUL: char = '\u{0}';

/// The field error for a text holding U+0000.
pub fn nul_error(field: impl Into<String>) -> FieldError {
    FieldError::new(
        field,
        "invalid_character",
        "must not contain the character U+0000",
    )
}

/// Every string of a JSON document (object keys included) that holds U+0000, named by its
/// path (`fields.items[2].name`, `[3].code` in an array).
fn nul_fields(value: &serde_json::Value, path: &mut String, found: &mut Vec<FieldError>) {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains(NUL) => found.push(nul_error(path.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                nul_fields(item, path, found);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if key.contains(NUL) {
                    found.push(nul_error(path.clone()));
                } else {
                    nul_fields(item, path, found);
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Parses JSON bytes strictly: syntax errors (trailing characters included) are 400, data
/// errors 422 naming the field, and so is every string holding U+0000.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    parse_json_text(bytes, true)
}

fn parse_json_text<T: DeserializeOwned>(bytes: &[u8], refuse_nul: bool) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::MalformedJson(format!("the body is not valid JSON: {e}")))?;
    if refuse_nul {
        let mut found = Vec::new();
        nul_fields(&value, &mut String::new(), &mut found);
        if !found.is_empty() {
            return Err(ApiError::Validation(found));
        }
    }
    serde_path_to_error::deserialize::<_, T>(value).map_err(|err| {
        let path = err.path().to_string();
        ApiError::Validation(vec![field_error(&path, &err.into_inner().to_string())])
    })
}

/// A JSON body, read and parsed only when the handler asks — after the caller has been
/// authenticated and authorised, so a refused caller learns nothing from body validation. (On
/// a `Caller` route the role has been checked by then, the account not yet: a revoked token of
/// the admitted role may see its body's errors before its 401; see `auth::Caller`.)
pub struct JsonBody {
    req: HttpRequest,
    payload: Payload,
}

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self {
            req: req.clone(),
            payload: payload.take(),
        }))
    }
}

impl JsonBody {
    /// Reads the body (415 unless JSON, 413 past the limit) and parses it strictly.
    pub async fn parse<T: DeserializeOwned>(self) -> Result<JsonWithBytes<T>, ApiError> {
        self.parse_text(true).await
    }

    /// The parsed value alone.
    pub async fn value<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        Ok(self.parse::<T>().await?.value)
    }

    /// The parsed value, its strings as sent even when they hold U+0000: only for a body whose
    /// text is never stored as it is (the login, where such a username cannot exist).
    pub async fn value_with_any_text<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        Ok(self.parse_text::<T>(false).await?.value)
    }

    async fn parse_text<T: DeserializeOwned>(
        mut self,
        refuse_nul: bool,
    ) -> Result<JsonWithBytes<T>, ApiError> {
        if !is_json(&self.req) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = read_body(&self.req, &mut self.payload, max_body(&self.req)).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::MalformedJson(
                "the body is empty; send a JSON object".into(),
            ));
        }
        let value = parse_json_text(&bytes, refuse_nul)?;
        Ok(JsonWithBytes { value, bytes })
    }
}

/// A query string, parsed strictly: unknown parameters and bad values are 422 naming them.
pub struct ApiQuery<T>(pub T);

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let nul: Vec<FieldError> = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, value)| name.contains(NUL) || value.contains(NUL))
        .map(|(name, _)| nul_error(name))
        .collect();
    if !nul.is_empty() {
        return Err(ApiError::Validation(nul));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let mut fe = field_error(&path, &message);
        if fe.field.is_empty() {
            fe.field = "query".into();
        }
        ApiError::Validation(vec![fe])
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

/// For `Option<Option<T>>` fields: absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
/// Use with `#[serde(default, deserialize_with = "crate::http::extract::double_option")]`.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}

/// The longest path segment a [`Segment`] accepts, in characters: every code and number the
/// service keys by is far shorter.
pub const MAX_SEGMENT_CHARS: usize = 100;

/// A text path parameter (a code, a certificate number): refused, like an unparsable id, when
/// it holds U+0000 or is longer than [`MAX_SEGMENT_CHARS`], so that [`path_config`] answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment(String);

impl Segment {
    pub fn into_inner(self) -> String {
        self.0
    }

    fn fits(text: &str) -> bool {
        !text.contains(NUL) && text.chars().count() <= MAX_SEGMENT_CHARS
    }
}

impl std::ops::Deref for Segment {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Segment {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = String::deserialize(de)?;
        if Self::fits(&text) {
            Ok(Self(text))
        } else {
            Err(serde::de::Error::custom("not a storable path segment"))
        }
    }
}

/// A path that does not parse: a segment holding U+0000 or too long for a [`Segment`] is a 422
/// naming its parameter; any other (e.g. a non-numeric id) names no resource: 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, req| path_error(req).into())
}

fn path_error(req: &HttpRequest) -> ApiError {
    let mut errors = Vec::new();
    for (name, value) in req.match_info().iter() {
        if value.contains(NUL) {
            errors.push(nul_error(name));
        } else if !Segment::fits(value) {
            errors.push(FieldError::new(
                name,
                "invalid_length",
                format!("must be at most {MAX_SEGMENT_CHARS} characters"),
            ));
        }
    }
    if errors.is_empty() {
        ApiError::NotFound
    } else {
        ApiError::Validation(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Form {
        form: Inner,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        premises_area_m2: f64,
        chemicals: Vec<Chem>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Chem {
        name: String,
    }

    fn errors(r: Result<Form, ApiError>) -> Vec<FieldError> {
        match r {
            Err(ApiError::Validation(e)) => e,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn data_errors_name_the_field_by_json_path() {
        let e = errors(parse_json(
            br#"{"form":{"premises_area_m2":"big","chemicals":[]}}"#,
        ));
        assert_eq!(
            (e[0].field.as_str(), e[0].code.as_str()),
            ("form.premises_area_m2", "invalid_type")
        );
        let e = errors(parse_json(
            br#"{"form":{"premises_area_m2":1,"chemicals":[{"name":"x","cas":1}]}}"#,
        ));
        assert_eq!(
            (e[0].field.as_str(), e[0].code.as_str()),
            ("form.chemicals[0].cas", "unknown_field")
        );
        let e = errors(parse_json(br#"{"form":{"chemicals":[]}}"#));
        assert_eq!(
            (e[0].field.as_str(), e[0].code.as_str()),
            ("form.premises_area_m2", "required")
        );
        let e = errors(parse_json(br#"{"typo":1}"#));
        assert_eq!(e[0].field, "typo");
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        assert!(matches!(
            parse_json::<Form>(b"{\"form\":"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_json::<Form>(b"not json"),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse_json::<serde_json::Value>(b"{} {}"),
            Err(ApiError::MalformedJson(_))
        ));
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        limit: Option<u32>,
    }

    #[test]
    fn query_errors_name_the_parameter() {
        assert!(parse_query::<Q>("limit=5").is_ok());
        match parse_query::<Q>("limit=abc") {
            Err(ApiError::Validation(e)) => assert_eq!(e[0].field, "limit"),
            other => panic!("{other:?}"),
        }
        match parse_query::<Q>("limt=5") {
            Err(ApiError::Validation(e)) => assert_eq!(e[0].field, "limt"),
            other => panic!("{other:?}"),
        }
    }
}
