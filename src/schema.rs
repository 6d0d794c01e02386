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
    user_totp (user_id) {
        user_id -> BigInt,
        secret_sealed -> Text,
        enabled_at -> Nullable<Timestamp>,
        last_used_step -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    totp_recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    totp_challenges (challenge_hash) {
        challenge_hash -> Text,
        user_id -> BigInt,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    web_sessions (id_hash) {
        id_hash -> Text,
        user_id -> BigInt,
        token_version -> Integer,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
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

diesel::table! {
    campaigns (id) {
        id -> BigInt,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        industries -> Text,
        description -> Text,
        closed_at -> Nullable<Timestamp>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    key_tasks (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        title -> Text,
        responsible_unit -> Text,
        deadline -> Date,
        status -> Text,
        progress_note -> Nullable<Text>,
        completed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    inspection_groups (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        name -> Text,
        mode -> Text,
        home_district -> Text,
        target_district -> Nullable<Text>,
        leader_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    group_members (group_id, inspector_id) {
        group_id -> BigInt,
        inspector_id -> BigInt,
    }
}

diesel::table! {
    stationings (id) {
        id -> BigInt,
        group_id -> BigInt,
        enterprise_id -> BigInt,
        starts_on -> Date,
        ends_on -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    stationing_inspectors (stationing_id, inspector_id) {
        stationing_id -> BigInt,
        inspector_id -> BigInt,
    }
}

diesel::table! {
    inspections (id) {
        id -> BigInt,
        campaign_id -> Nullable<BigInt>,
        group_id -> Nullable<BigInt>,
        enterprise_id -> BigInt,
        inspected_on -> Date,
        notes -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        district -> Text,
        industry -> Text,
        prev_inspected_on -> Nullable<Date>,
        campaign_first -> Bool,
    }
}

diesel::table! {
    inspection_inspectors (inspection_id, inspector_id) {
        inspection_id -> BigInt,
        inspector_id -> BigInt,
    }
}

diesel::table! {
    hazards (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        inspection_id -> Nullable<BigInt>,
        campaign_id -> Nullable<BigInt>,
        description -> Text,
        level -> Text,
        category -> Text,
        found_on -> Date,
        deadline -> Date,
        status -> Text,
        supervised -> Bool,
        plan -> Nullable<Text>,
        rectification_measures -> Nullable<Text>,
        rectification_completed_on -> Nullable<Date>,
        verified_by -> Nullable<BigInt>,
        verified_on -> Nullable<Date>,
        reject_reason -> Nullable<Text>,
        reported_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        district -> Text,
        industry -> Text,
    }
}

diesel::table! {
    penalties (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        inspection_id -> Nullable<BigInt>,
        hazard_id -> Nullable<BigInt>,
        campaign_id -> Nullable<BigInt>,
        decision_no -> Text,
        violation -> Text,
        legal_basis -> Text,
        fine_fen -> BigInt,
        decided_on -> Date,
        paid_on -> Nullable<Date>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    orders (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        inspection_id -> Nullable<BigInt>,
        campaign_id -> Nullable<BigInt>,
        kind -> Text,
        reason -> Text,
        issued_on -> Date,
        lifted_on -> Nullable<Date>,
        lift_note -> Nullable<Text>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    permit_types (code) {
        code -> Text,
        name -> Text,
        mode -> Text,
        kind -> Text,
        validity_months -> Nullable<Integer>,
        statutory_days -> Integer,
        industries -> Text,
        fields -> Text,
        applies_to -> Text,
        certificate_prefix -> Nullable<Text>,
        active -> Bool,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    applications (id) {
        id -> BigInt,
        number -> Text,
        enterprise_id -> BigInt,
        permit_type -> Text,
        mode -> Text,
        form -> Text,
        commitment_accepted -> Bool,
        status -> Text,
        submitted_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        due_on -> Nullable<Date>,
        decided_by -> Nullable<BigInt>,
        decision_reason -> Nullable<Text>,
        rule_results -> Nullable<Text>,
        certificate_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    certificates (id) {
        id -> BigInt,
        number -> Text,
        permit_type -> Text,
        enterprise_id -> BigInt,
        application_id -> BigInt,
        holder_name -> Text,
        holder_credit_code -> Text,
        holder_address -> Text,
        holder_legal_representative -> Text,
        scope -> Text,
        issued_at -> Timestamp,
        valid_from -> Date,
        valid_until -> Date,
        status -> Text,
        revoked_at -> Nullable<Timestamp>,
        revoke_reason -> Nullable<Text>,
        superseded_by -> Nullable<BigInt>,
        verification_code -> Text,
        signed_payload -> Text,
        signature -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    number_sequences (prefix, year) {
        prefix -> Text,
        year -> Integer,
        last -> BigInt,
    }
}

diesel::table! {
    reward_rules (id) {
        id -> BigInt,
        category -> Text,
        kind -> Text,
        amount_fen -> Nullable<BigInt>,
        rate_bp -> Nullable<Integer>,
        per_death_general_fen -> Nullable<BigInt>,
        per_death_larger_fen -> Nullable<BigInt>,
        per_death_major_fen -> Nullable<BigInt>,
        per_death_especially_major_fen -> Nullable<BigInt>,
        floor_fen -> Nullable<BigInt>,
        cap_fen -> Nullable<BigInt>,
        uplift_bp -> Integer,
        effective_from -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reward_situations (id) {
        id -> BigInt,
        code -> Text,
        industry -> Text,
        category -> Text,
        description -> Text,
        kind -> Text,
        amount_fen -> Nullable<BigInt>,
        rate_bp -> Nullable<Integer>,
        per_death_general_fen -> Nullable<BigInt>,
        per_death_larger_fen -> Nullable<BigInt>,
        per_death_major_fen -> Nullable<BigInt>,
        per_death_especially_major_fen -> Nullable<BigInt>,
        floor_fen -> Nullable<BigInt>,
        cap_fen -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        receipt_hash -> Text,
        industry -> Text,
        category -> Text,
        enterprise_name -> Nullable<Text>,
        enterprise_credit_code -> Nullable<Text>,
        enterprise_id -> Nullable<BigInt>,
        district -> Nullable<Text>,
        location -> Nullable<Text>,
        occurred_on -> Nullable<Date>,
        description -> Text,
        is_employee -> Bool,
        contact_sealed -> Nullable<Text>,
        status -> Text,
        assignee_id -> Nullable<BigInt>,
        duplicate_of -> Nullable<BigInt>,
        findings -> Nullable<Text>,
        situation_code -> Nullable<Text>,
        accident_grade -> Nullable<Text>,
        concealed_deaths -> Nullable<Integer>,
        identity_opened_at -> Nullable<Timestamp>,
        filed_on -> Date,
        received_at -> Timestamp,
        concluded_on -> Nullable<Date>,
        concluded_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        identity_erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    report_messages (id) {
        id -> BigInt,
        report_id -> BigInt,
        direction -> Text,
        body -> Text,
        author_id -> Nullable<BigInt>,
        at -> Timestamp,
    }
}

diesel::table! {
    report_penalties (report_id, penalty_id) {
        report_id -> BigInt,
        penalty_id -> BigInt,
    }
}

diesel::table! {
    rewards (id) {
        id -> BigInt,
        report_id -> BigInt,
        industry -> Text,
        status -> Text,
        amount_fen -> BigInt,
        computed_fen -> BigInt,
        overridden -> Bool,
        override_reason -> Nullable<Text>,
        breakdown -> Text,
        decided_by -> Nullable<BigInt>,
        decided_at -> Timestamp,
        decided_on -> Date,
        claim_deadline -> Date,
        payee_sealed -> Nullable<Text>,
        claimed_at -> Nullable<Timestamp>,
        paid_on -> Nullable<Date>,
        payment_reference -> Nullable<Text>,
        lapsed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    negative_list_templates (industry, code) {
        industry -> Text,
        code -> Text,
        position -> Integer,
        category -> Text,
        title -> Text,
        description -> Text,
        severity -> Text,
        suggested_handling -> Text,
    }
}

diesel::table! {
    negative_lists (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        version -> Integer,
        status -> Text,
        source -> Text,
        published_at -> Nullable<Timestamp>,
        effective_from -> Nullable<Timestamp>,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    negative_list_items (list_id, code) {
        list_id -> BigInt,
        code -> Text,
        position -> Integer,
        category -> Text,
        title -> Text,
        description -> Text,
        severity -> Text,
        suggested_handling -> Text,
    }
}

diesel::table! {
    violations (id) {
        id -> BigInt,
        enterprise_id -> BigInt,
        list_id -> BigInt,
        item_code -> Text,
        category -> Text,
        severity -> Text,
        employee_ref -> Text,
        occurred_at -> Timestamp,
        location -> Text,
        description -> Text,
        handling -> Text,
        fine_fen -> BigInt,
        recorded_by -> BigInt,
        corrected_at -> Nullable<Timestamp>,
        correction_note -> Nullable<Text>,
        repeat -> Bool,
        escalated -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(enterprises -> districts (district));
diesel::joinable!(enterprises -> industries (industry));
diesel::joinable!(users -> enterprises (enterprise_id));
diesel::joinable!(user_totp -> users (user_id));
diesel::joinable!(totp_recovery_codes -> users (user_id));
diesel::joinable!(totp_challenges -> users (user_id));
diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(key_tasks -> campaigns (campaign_id));
diesel::joinable!(inspection_groups -> campaigns (campaign_id));
diesel::joinable!(group_members -> inspection_groups (group_id));
diesel::joinable!(stationings -> inspection_groups (group_id));
diesel::joinable!(stationings -> enterprises (enterprise_id));
diesel::joinable!(stationing_inspectors -> stationings (stationing_id));
diesel::joinable!(inspections -> enterprises (enterprise_id));
diesel::joinable!(inspection_inspectors -> inspections (inspection_id));
diesel::joinable!(hazards -> enterprises (enterprise_id));
diesel::joinable!(penalties -> enterprises (enterprise_id));
diesel::joinable!(orders -> enterprises (enterprise_id));
diesel::joinable!(applications -> enterprises (enterprise_id));
diesel::joinable!(applications -> permit_types (permit_type));
diesel::joinable!(certificates -> enterprises (enterprise_id));
diesel::joinable!(certificates -> permit_types (permit_type));

diesel::joinable!(report_messages -> reports (report_id));
diesel::joinable!(report_penalties -> reports (report_id));
diesel::joinable!(report_penalties -> penalties (penalty_id));
diesel::joinable!(rewards -> reports (report_id));

diesel::joinable!(negative_list_templates -> industries (industry));
diesel::joinable!(negative_lists -> enterprises (enterprise_id));
diesel::joinable!(negative_list_items -> negative_lists (list_id));
diesel::joinable!(violations -> enterprises (enterprise_id));
diesel::joinable!(violations -> negative_lists (list_id));

diesel::allow_tables_to_appear_in_same_query!(
    districts,
    industries,
    enterprises,
    users,
    web_sessions,
    audit_events,
    login_failures,
    user_totp,
    totp_recovery_codes,
    totp_challenges,
    idempotency_keys,
    campaigns,
    key_tasks,
    inspection_groups,
    group_members,
    stationings,
    stationing_inspectors,
    inspections,
    inspection_inspectors,
    hazards,
    penalties,
    orders,
    permit_types,
    applications,
    certificates,
    number_sequences,
    reward_rules,
    reward_situations,
    reports,
    report_messages,
    report_penalties,
    rewards,
    negative_list_templates,
    negative_lists,
    negative_list_items,
    violations,
);
