//! Both migration sets produce tables that `src/schema.rs` can write and read back, column by
//! column (run on SQLite, and on PostgreSQL with `TEST_DATABASE_URL`).

use anjian::schema::*;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_shared_schema_reads_and_writes_every_table() {
    let app = TestApp::spawn().await;
    let ent = app
        .state
        .db
        .write(|conn| {
            let at: NaiveDateTime = chrono::DateTime::from_timestamp(1_800_000_000, 123_456_000)
                .unwrap()
                .naive_utc();
            diesel::insert_into(districts::table)
                .values((districts::code.eq("test_d"), districts::name.eq("测试区")))
                .execute(conn)?;
            diesel::insert_into(industries::table)
                .values((industries::code.eq("test_i"), industries::name.eq("测试")))
                .execute(conn)?;
            let ent: (
                i64,
                String,
                String,
                String,
                String,
                String,
                String,
                String,
                Option<String>,
                i32,
                String,
                NaiveDateTime,
                NaiveDateTime,
            ) = diesel::insert_into(enterprises::table)
                .values((
                    enterprises::credit_code.eq("914403001922038216"),
                    enterprises::name.eq("名"),
                    enterprises::name_lower.eq("名"),
                    enterprises::industry.eq("test_i"),
                    enterprises::district.eq("test_d"),
                    enterprises::address.eq("址"),
                    enterprises::legal_representative.eq("法"),
                    enterprises::safety_director.eq(None::<String>),
                    enterprises::employee_count.eq(7),
                    enterprises::status.eq("operating"),
                    enterprises::created_at.eq(at),
                    enterprises::updated_at.eq(at),
                ))
                .returning(enterprises::all_columns)
                .get_result(conn)?;
            assert_eq!(
                (ent.9, ent.11),
                (7, at),
                "integers and microsecond instants round-trip"
            );
            let user: (
                i64,
                String,
                String,
                String,
                Option<i64>,
                String,
                bool,
                i32,
                NaiveDateTime,
                NaiveDateTime,
            ) = diesel::insert_into(users::table)
                .values((
                    users::username.eq("schema.check"),
                    users::password_hash.eq("x"),
                    users::role.eq("enterprise"),
                    users::enterprise_id.eq(Some(ent.0)),
                    users::display_name.eq("d"),
                    users::disabled.eq(true),
                    users::token_version.eq(3),
                    users::created_at.eq(at),
                    users::updated_at.eq(at),
                ))
                .returning(users::all_columns)
                .get_result(conn)?;
            assert_eq!((user.4, user.6, user.7), (Some(ent.0), true, 3));
            diesel::insert_into(login_failures::table)
                .values((login_failures::username.eq("u"), login_failures::at.eq(at)))
                .execute(conn)?;
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::scope.eq("s"),
                    idempotency_keys::key.eq("k"),
                    idempotency_keys::request_hash.eq("h"),
                    idempotency_keys::status_code.eq(201),
                    idempotency_keys::response_body.eq("{}"),
                    idempotency_keys::created_at.eq(at),
                ))
                .execute(conn)?;
            let n: i64 = audit_events::table.count().get_result(conn)?;
            assert!(n >= 1);
            let read: Vec<(String, i32)> = idempotency_keys::table
                .select((idempotency_keys::key, idempotency_keys::status_code))
                .load(conn)?;
            assert_eq!(read, [("k".to_owned(), 201)]);
            Ok::<_, anjian::error::ApiError>(ent)
        })
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // The CHECK constraints hold on both backends (a write of its own: on PostgreSQL a failed
    // statement fails the rest of its transaction).
    let bad = app
        .state
        .db
        .write(move |conn| {
            diesel::update(enterprises::table.find(ent.0))
                .set(enterprises::status.eq("bankrupt"))
                .execute(conn)?;
            Ok(())
        })
        .await;
    assert!(bad.is_err(), "an unknown status is refused by the database");
}
