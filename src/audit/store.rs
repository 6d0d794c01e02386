//! Appending to and reading the audit trail.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use super::{Actor, EventFields, GENESIS, TimelineEntry, event_hash};
use crate::db::{DbConn, is_unique_violation};
use crate::error::ApiError;
use crate::schema::audit_events;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub seq: i32,
    pub action: String,
    pub actor_user_id: Option<i64>,
    pub actor_role: String,
    pub payload: String,
    pub at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

/// `actor_user_id: None` is written as NULL, not `DEFAULT`: with `DEFAULT` diesel neither keeps
/// the statement prepared on PostgreSQL nor writes several rows in one statement on SQLite.
#[derive(Clone, Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
struct NewEvent {
    aggregate_type: String,
    aggregate_id: String,
    seq: i32,
    action: String,
    actor_user_id: Option<i64>,
    actor_role: String,
    payload: String,
    at: NaiveDateTime,
    prev_hash: String,
    hash: String,
}

impl NewEvent {
    /// The row of `fields` chained after `prev_hash`, with its hash. It owns its values: an
    /// insert of a fixed number of rows is kept prepared only for a `'static` row type.
    fn chained(fields: EventFields<'_>, prev_hash: String) -> Self {
        Self {
            hash: event_hash(&prev_hash, &fields),
            payload: super::canonical_json(fields.payload),
            aggregate_type: fields.aggregate_type.to_owned(),
            aggregate_id: fields.aggregate_id.to_owned(),
            seq: fields.seq,
            action: fields.action.to_owned(),
            actor_user_id: fields.actor_user_id,
            actor_role: fields.actor_role.to_owned(),
            at: fields.at,
            prev_hash,
        }
    }
}

/// Appends an event to the aggregate's chain. Call it inside the transaction of the change it
/// records. Two transactions racing on one aggregate cannot both take the same `seq`: the loser
/// gets a 409.
pub fn append(
    conn: &mut DbConn,
    aggregate_type: &str,
    aggregate_id: &str,
    action: &str,
    actor: &Actor,
    payload: Value,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    // The last seq, then its hash: two lookups on the unique (type, id, seq) index. Not
    // `ORDER BY seq DESC LIMIT 1`: SQLite re-prepares a statement with a bound `LIMIT` on every
    // run (see `docs/ARCHITECTURE.md`).
    let last: Option<i32> = audit_events::table
        .filter(audit_events::aggregate_type.eq(aggregate_type))
        .filter(audit_events::aggregate_id.eq(aggregate_id))
        .select(diesel::dsl::max(audit_events::seq))
        .get_result(conn)?;
    let (seq, prev_hash) = match last {
        Some(seq) => {
            let hash: String = audit_events::table
                .filter(audit_events::aggregate_type.eq(aggregate_type))
                .filter(audit_events::aggregate_id.eq(aggregate_id))
                .filter(audit_events::seq.eq(seq))
                .select(audit_events::hash)
                .get_result(conn)?;
            (seq + 1, hash)
        }
        None => (1, GENESIS.to_owned()),
    };
    insert_rows(
        conn,
        &chained(
            aggregate_type,
            aggregate_id,
            (seq, prev_hash),
            [(action, actor, payload)],
            at,
        ),
    )
}

/// Appends the first event of an aggregate that this transaction just created (no lookup).
pub fn append_first(
    conn: &mut DbConn,
    aggregate_type: &str,
    aggregate_id: &str,
    action: &str,
    actor: &Actor,
    payload: Value,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    new_chain(aggregate_type, aggregate_id, [(action, actor, payload)], at).append(conn)
}

/// The first events of an aggregate this transaction is creating, chained in order (seq 1,
/// 2, …) and hashed: written by [`NewChain::append`], or by the aggregate's own insert in the
/// same statement ([`NewChain::insert`] inside `db::with_also`, PostgreSQL).
///
/// The events are a fixed-size array: diesel keeps an insert of `N` rows prepared only when
/// `N` is known at compile time (a `Vec`'s statement is parsed and planned on every run).
pub struct NewChain<const N: usize>([NewEvent; N]);

/// See [`NewChain`].
pub fn new_chain<const N: usize>(
    aggregate_type: &str,
    aggregate_id: &str,
    events: [(&str, &Actor, Value); N],
    at: NaiveDateTime,
) -> NewChain<N> {
    NewChain(chained(
        aggregate_type,
        aggregate_id,
        (1, GENESIS.to_owned()),
        events,
        at,
    ))
}

impl NewChain<3> {
    /// These three events and then `then`'s, to be written in one insert (their ids in that
    /// order), for a statement that writes both aggregates.
    pub fn followed_by(&self, then: &NewChain<1>) -> NewChain<4> {
        let [a, b, c] = &self.0;
        let [d] = &then.0;
        NewChain([a.clone(), b.clone(), c.clone(), d.clone()])
    }
}

impl<const N: usize> NewChain<N> {
    /// Its insert, for `db::with_also`; map that statement's error with [`taken_is_conflict`].
    pub fn insert(
        &self,
    ) -> impl diesel::query_builder::QueryFragment<diesel::pg::Pg> + diesel::query_builder::QueryId + '_
    {
        diesel::insert_into(audit_events::table).values(&self.0)
    }

    /// Writes it on its own, in one insert.
    pub fn append(&self, conn: &mut DbConn) -> Result<(), ApiError> {
        insert_rows(conn, &self.0)
    }

    /// The aggregate's timeline as these events make it.
    pub fn timeline(&self) -> Vec<TimelineEntry> {
        self.0
            .iter()
            .map(|r| TimelineEntry {
                seq: r.seq,
                action: r.action.clone(),
                actor_role: r.actor_role.clone(),
                at: r.at,
            })
            .collect()
    }
}

/// Appends the first event of many aggregates this transaction just created, with multi-row
/// inserts (bulk import).
pub fn append_first_many(
    conn: &mut DbConn,
    aggregate_type: &str,
    action: &str,
    actor: &Actor,
    events: &[(String, Value)],
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    let rows: Vec<NewEvent> = events
        .iter()
        .map(|(aggregate_id, payload)| {
            NewEvent::chained(
                EventFields::by(actor, aggregate_type, aggregate_id, 1, action, payload, at),
                GENESIS.to_owned(),
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        crate::db::on_backend!(conn, |c| diesel::insert_into(audit_events::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// `events` as rows in order, the first at `first_seq` chained to `prev_hash` and each next one
/// to the one before.
fn chained<const N: usize>(
    aggregate_type: &str,
    aggregate_id: &str,
    (first_seq, mut prev_hash): (i32, String),
    events: [(&str, &Actor, Value); N],
    at: NaiveDateTime,
) -> [NewEvent; N] {
    let mut seq = first_seq;
    events.each_ref().map(|(action, actor, payload)| {
        let row = NewEvent::chained(
            EventFields::by(
                actor,
                aggregate_type,
                aggregate_id,
                seq,
                action,
                payload,
                at,
            ),
            std::mem::take(&mut prev_hash),
        );
        prev_hash.clone_from(&row.hash);
        seq += 1;
        row
    })
}

/// Writes a fixed number of rows in one insert, which diesel keeps prepared on both backends.
/// Every append of a fixed number of events goes through here, or through
/// [`NewChain::insert`] inside another insert (`append_first_many`, for a variable number of
/// new chains, inserts in chunks).
fn insert_rows<const N: usize>(conn: &mut DbConn, rows: &[NewEvent; N]) -> Result<(), ApiError> {
    crate::db::on_backend!(conn, |c| diesel::insert_into(audit_events::table)
        .values(rows)
        .execute(c))
    .map_err(taken_is_conflict)?;
    Ok(())
}

/// The error of a statement that wrote audit events: a `seq` another transaction took first (a
/// unique violation) is a 409, anything else as usual.
pub fn taken_is_conflict(e: diesel::result::Error) -> ApiError {
    if is_unique_violation(&e) {
        ApiError::Conflict("the record was changed concurrently; reload and retry".into())
    } else {
        e.into()
    }
}

/// The record's history for its readers: `{seq, action, actor_role, at}` in order.
pub fn timeline(
    conn: &mut DbConn,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Vec<TimelineEntry>, ApiError> {
    let rows: Vec<(i32, String, String, NaiveDateTime)> = audit_events::table
        .filter(audit_events::aggregate_type.eq(aggregate_type))
        .filter(audit_events::aggregate_id.eq(aggregate_id))
        .order(audit_events::seq.asc())
        .select((
            audit_events::seq,
            audit_events::action,
            audit_events::actor_role,
            audit_events::at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(seq, action, actor_role, at)| TimelineEntry {
            seq,
            action,
            actor_role,
            at,
        })
        .collect())
}

/// Full events, newest first, optionally of one aggregate type and id.
pub fn list(
    conn: &mut DbConn,
    aggregate_type: Option<&str>,
    aggregate_id: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, ApiError> {
    let mut query = audit_events::table
        .select(AuditRow::as_select())
        .into_boxed();
    if let Some(t) = aggregate_type {
        query = query.filter(audit_events::aggregate_type.eq(t.to_owned()));
    }
    if let Some(id) = aggregate_id {
        query = query.filter(audit_events::aggregate_id.eq(id.to_owned()));
    }
    if let Some(before) = before_id {
        query = query.filter(audit_events::id.lt(before));
    }
    Ok(query
        .order(audit_events::id.desc())
        .limit(limit)
        .load(conn)?)
}

/// A broken link found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Broken {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub seq: i32,
}

/// Walks every chain in `(aggregate_type, aggregate_id, seq)` order, a page at a time, and
/// names every event whose position, link or hash does not check out.
pub fn verify(conn: &mut DbConn) -> Result<(u64, Vec<Broken>), ApiError> {
    const PAGE: i64 = 5_000;
    let mut checked = 0u64;
    let mut broken = Vec::new();
    // The previous event seen: (type, id, seq, hash).
    let mut prev: Option<(String, String, i32, String)> = None;
    loop {
        let mut query = audit_events::table
            .select(AuditRow::as_select())
            .into_boxed();
        if let Some((t, id, seq, _)) = &prev {
            query = query.filter(
                audit_events::aggregate_type
                    .gt(t.clone())
                    .or(audit_events::aggregate_type.eq(t.clone()).and(
                        audit_events::aggregate_id
                            .gt(id.clone())
                            .or(audit_events::aggregate_id
                                .eq(id.clone())
                                .and(audit_events::seq.gt(*seq))),
                    )),
            );
        }
        let rows: Vec<AuditRow> = query
            .order((
                audit_events::aggregate_type.asc(),
                audit_events::aggregate_id.asc(),
                audit_events::seq.asc(),
            ))
            .limit(PAGE)
            .load(conn)?;
        let done = (rows.len() as i64) < PAGE;
        for row in rows {
            checked += 1;
            let same_chain = prev
                .as_ref()
                .is_some_and(|(t, id, _, _)| *t == row.aggregate_type && *id == row.aggregate_id);
            let (expected_seq, expected_prev) = match (&prev, same_chain) {
                (Some((_, _, seq, hash)), true) => (seq + 1, hash.as_str()),
                _ => (1, GENESIS),
            };
            let payload: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
            let recomputed = event_hash(
                &row.prev_hash,
                &EventFields {
                    aggregate_type: &row.aggregate_type,
                    aggregate_id: &row.aggregate_id,
                    seq: row.seq,
                    action: &row.action,
                    actor_user_id: row.actor_user_id,
                    actor_role: &row.actor_role,
                    payload: &payload,
                    at: row.at,
                },
            );
            if row.seq != expected_seq || row.prev_hash != expected_prev || row.hash != recomputed {
                broken.push(Broken {
                    aggregate_type: row.aggregate_type.clone(),
                    aggregate_id: row.aggregate_id.clone(),
                    seq: row.seq,
                });
            }
            prev = Some((row.aggregate_type, row.aggregate_id, row.seq, row.hash));
        }
        if done {
            break;
        }
    }
    Ok((checked, broken))
}
