//! The logical schema shared by both backends. `migrations/postgres` and `migrations/sqlite`
//! must both produce tables this file can read and write (checked by `tests/api/schema.rs`).

diesel::table! {
    districts (code) {
        code -> Text,
        name -> Text,
    }
}

diesel::table! {
    industries (code) {
        code -> Text,
        name -> Text,
    }
}

diesel::table! {
    enterprises (id) {
        id -> BigInt,
        credit_code -> Text,
        name -> Text,
        name_lower -> Text,
        industry -> Text,
        district -> Text,
        address -> Text,
        legal_representative -> Text,
        safety_director -> Nullable<Text>,
        employee_count -> Integer,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        enterprise_id -> Nullable<BigInt>,
        display_name -> Text,
        disabled -> Bool,
        token_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        aggregate_type -> Text,
        aggregate_id -> Text,
        seq -> Integer,
        action -> Text,
        actor_user_id -> Nullable<BigInt>,
        actor_role -> Text,
        payload -> Text,
        at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        username -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        status_code -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(enterprises -> districts (district));
diesel::joinable!(enterprises -> industries (industry));
diesel::joinable!(users -> enterprises (enterprise_id));

diesel::allow_tables_to_appear_in_same_query!(
    districts,
    industries,
    enterprises,
    users,
    audit_events,
    login_failures,
    idempotency_keys,
);
