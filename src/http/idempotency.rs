//! `Idempotency-Key` for every POST that creates something (SPEC 1.4).
//!
//! The key is claimed inside the same transaction as the creation (`INSERT … ON CONFLICT DO
//! NOTHING`): a concurrent request with the same key waits for the first to commit and then
//! answers with the stored response. A failed request stores nothing, so the client may retry
//! it with the same key. Keys are scoped to the user (or `public`) and kept at least 24 hours.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};
use sha2::{Digest, Sha256};

use crate::clock::Now;
use crate::db::{Db, DbConn};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::schema::idempotency_keys;
use crate::state::AppState;

/// The header's value, when sent: 1 to 200 visible ASCII characters.
pub fn key_from(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text.is_empty() || text.len() > 200 || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "invalid",
            "must be 1 to 200 visible ASCII characters",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// What makes two requests "the same": method, path and body.
pub fn request_hash(req: &HttpRequest, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(req.method().as_str().as_bytes());
    h.update(b" ");
    h.update(req.path().as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// A creation body parsed as `T`, with its `Idempotent` scoped to `user` over the body's bytes.
pub async fn parse_for_user<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    user: impl std::fmt::Display,
    body: JsonBody,
) -> Result<(T, Idempotent), ApiError> {
    let body = body.parse::<T>().await?;
    let idem = Idempotent::for_user(req, user, &body.bytes)?;
    Ok((body.value, idem))
}

/// An idempotent creation (SPEC 1.4): the body parsed as `T`, then `create` at the request's
/// [`Now`] in one write transaction, once per `Idempotency-Key` of `user`; 201 with its view, or
/// the first response again.
pub async fn create_once<T, V, E>(
    state: &AppState,
    req: &HttpRequest,
    user: impl std::fmt::Display,
    body: JsonBody,
    create: impl FnOnce(&mut DbConn, Now, T) -> Result<V, E> + Send + 'static,
) -> Result<HttpResponse, ApiError>
where
    T: serde::de::DeserializeOwned + Send + 'static,
    V: serde::Serialize,
    E: Into<ApiError>,
{
    let (input, idem) = parse_for_user(req, user, body).await?;
    let now = state.now();
    idem.create(&state.db, now.at, move |conn| create(conn, now, input))
        .await
}

/// A replayable creation request.
pub struct Idempotent {
    pub scope: String,
    pub key: Option<String>,
    pub hash: String,
}

impl Idempotent {
    pub fn new(req: &HttpRequest, scope: String, body: &[u8]) -> Result<Self, ApiError> {
        Ok(Self {
            scope,
            key: key_from(req)?,
            hash: request_hash(req, body),
        })
    }

    /// A staff or enterprise user's key: scoped to `user`, over the request's bytes.
    pub fn for_user(
        req: &HttpRequest,
        user: impl std::fmt::Display,
        body: &[u8],
    ) -> Result<Self, ApiError> {
        Self::new(req, format!("user:{user}"), body)
    }

    /// A creation use case run once per key, in one write transaction with the key's record
    /// ([`Idempotent::run`]): 201 with its view ([`created`]), or the first answer replayed.
    pub async fn create<V, E>(
        self,
        db: &Db,
        now: NaiveDateTime,
        use_case: impl FnOnce(&mut DbConn) -> Result<V, E> + Send + 'static,
    ) -> Result<HttpResponse, ApiError>
    where
        V: serde::Serialize,
        E: Into<ApiError>,
    {
        self.create_in(db, now, false, use_case).await
    }

    /// [`Idempotent::create`] for a large creation (an import): in a transaction of its own
    /// ([`Db::write_alone`]), so that on PostgreSQL the other writes do not queue behind it.
    pub async fn create_alone<V, E>(
        self,
        db: &Db,
        now: NaiveDateTime,
        use_case: impl FnOnce(&mut DbConn) -> Result<V, E> + Send + 'static,
    ) -> Result<HttpResponse, ApiError>
    where
        V: serde::Serialize,
        E: Into<ApiError>,
    {
        self.create_in(db, now, true, use_case).await
    }

    async fn create_in<V, E>(
        self,
        db: &Db,
        now: NaiveDateTime,
        alone: bool,
        use_case: impl FnOnce(&mut DbConn) -> Result<V, E> + Send + 'static,
    ) -> Result<HttpResponse, ApiError>
    where
        V: serde::Serialize,
        E: Into<ApiError>,
    {
        let job = move |conn: &mut DbConn| {
            self.run(conn, now, |conn| {
                created(&use_case(conn).map_err(Into::into)?)
            })
        };
        let answer = if alone {
            db.write_alone(job).await?
        } else {
            db.write(job).await?
        };
        Ok(respond(answer))
    }

    /// Runs the creation `f` (already inside a transaction) unless this key has been seen: then
    /// the first response is returned instead, or 422 if the request differs.
    pub fn run(
        &self,
        conn: &mut DbConn,
        now: NaiveDateTime,
        f: impl FnOnce(&mut DbConn) -> Result<(StatusCode, serde_json::Value), ApiError>,
    ) -> Result<(StatusCode, serde_json::Value), ApiError> {
        let Some(key) = &self.key else { return f(conn) };
        let claimed = diesel::sql_query(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response_body, created_at) \
             VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(&self.scope)
        .bind::<Text, _>(key)
        .bind::<Text, _>(&self.hash)
        .bind::<Timestamp, _>(now)
        .execute(conn)?;
        if claimed == 0 {
            let (hash, status, body): (String, i32, String) = idempotency_keys::table
                .find((&self.scope, key))
                .select((
                    idempotency_keys::request_hash,
                    idempotency_keys::status_code,
                    idempotency_keys::response_body,
                ))
                .get_result(conn)?;
            if hash != self.hash {
                return Err(ApiError::IdempotencyKeyReused);
            }
            let status = StatusCode::from_u16(status as u16).map_err(ApiError::internal)?;
            let body = serde_json::from_str(&body).map_err(ApiError::internal)?;
            return Ok((status, body));
        }
        let (status, body) = f(conn)?;
        diesel::sql_query("UPDATE idempotency_keys SET status_code = $1, response_body = $2 WHERE scope = $3 AND key = $4")
            .bind::<Integer, _>(i32::from(status.as_u16()))
            .bind::<Text, _>(body.to_string())
            .bind::<Text, _>(&self.scope)
            .bind::<Text, _>(key)
            .execute(conn)?;
        Ok((status, body))
    }
}

pub fn respond((status, body): (StatusCode, serde_json::Value)) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// Forgets keys older than `cutoff` (housekeeping; keys are kept at least 24 hours).
pub fn purge(conn: &mut DbConn, cutoff: NaiveDateTime) -> Result<usize, ApiError> {
    Ok(
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
            .execute(conn)?,
    )
}

/// A creation's answer as [`Idempotent::run`] stores and replays it: 201 and the view.
pub fn created(view: &impl serde::Serialize) -> Result<(StatusCode, serde_json::Value), ApiError> {
    Ok((
        StatusCode::CREATED,
        serde_json::to_value(view).map_err(ApiError::internal)?,
    ))
}
