-- Inspection campaigns (SPEC 4): campaigns and their key tasks, inspection groups and
-- stationings, inspections, hazards, penalties and orders. The permit rules (SPEC 2.3) read
-- hazards, penalties and orders; whistleblower rewards read penalties.

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    -- JSON array of industry codes.
    industries TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Set when an admin closes the campaign before ends_on.
    closed_at TIMESTAMP,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (ends_on >= starts_on)
);

CREATE TABLE key_tasks (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    title TEXT NOT NULL,
    responsible_unit TEXT NOT NULL,
    deadline DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'done')),
    progress_note TEXT,
    completed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX key_tasks_campaign ON key_tasks (campaign_id, id);

CREATE TABLE inspection_groups (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    name TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('stationed', 'mobile', 'cross_district', 'district_package')),
    home_district TEXT NOT NULL REFERENCES districts (code),
    target_district TEXT REFERENCES districts (code),
    leader_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (mode <> 'cross_district' OR (target_district IS NOT NULL AND target_district <> home_district))
);
CREATE INDEX inspection_groups_campaign ON inspection_groups (campaign_id, id);

CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES inspection_groups (id),
    inspector_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, inspector_id)
);
CREATE INDEX group_members_inspector ON group_members (inspector_id);

CREATE TABLE stationings (
    id INTEGER PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES inspection_groups (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX stationings_group ON stationings (group_id, id);
CREATE INDEX stationings_enterprise ON stationings (enterprise_id);
CREATE INDEX stationings_starts_on ON stationings (starts_on);

CREATE TABLE stationing_inspectors (
    stationing_id BIGINT NOT NULL REFERENCES stationings (id),
    inspector_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (stationing_id, inspector_id)
);

CREATE TABLE inspections (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT REFERENCES campaigns (id),
    group_id BIGINT REFERENCES inspection_groups (id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    inspected_on DATE NOT NULL,
    notes TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX inspections_campaign ON inspections (campaign_id, id);
CREATE INDEX inspections_group ON inspections (group_id, id);
CREATE INDEX inspections_enterprise ON inspections (enterprise_id, id);
CREATE INDEX inspections_inspected_on ON inspections (inspected_on);

CREATE TABLE inspection_inspectors (
    inspection_id BIGINT NOT NULL REFERENCES inspections (id),
    inspector_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (inspection_id, inspector_id)
);

CREATE TABLE hazards (
    id INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    -- Null when the enterprise reports the hazard itself (自查自报).
    inspection_id BIGINT REFERENCES inspections (id),
    campaign_id BIGINT REFERENCES campaigns (id),
    description TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('general', 'major')),
    category TEXT NOT NULL CHECK (category IN ('equipment', 'process', 'site', 'management', 'personnel', 'fire', 'electrical', 'other')),
    found_on DATE NOT NULL,
    deadline DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'rectified', 'verified')),
    -- 挂牌督办: true for every major hazard.
    supervised BOOLEAN NOT NULL,
    -- JSON: {measures, funds_fen, responsible_person, deadline, emergency_measures}.
    plan TEXT,
    rectification_measures TEXT,
    rectification_completed_on DATE,
    verified_by BIGINT REFERENCES users (id),
    verified_on DATE,
    reject_reason TEXT,
    reported_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (level = 'general' OR (supervised AND plan IS NOT NULL))
);
CREATE INDEX hazards_enterprise_status ON hazards (enterprise_id, status, deadline);
CREATE INDEX hazards_campaign ON hazards (campaign_id, id);
CREATE INDEX hazards_status_deadline ON hazards (status, deadline, id);
CREATE INDEX hazards_found_on ON hazards (found_on);

CREATE TABLE penalties (
    id INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    inspection_id BIGINT REFERENCES inspections (id),
    hazard_id BIGINT REFERENCES hazards (id),
    campaign_id BIGINT REFERENCES campaigns (id),
    decision_no TEXT NOT NULL UNIQUE,
    violation TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    fine_fen BIGINT NOT NULL CHECK (fine_fen >= 0),
    decided_on DATE NOT NULL,
    paid_on DATE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX penalties_enterprise ON penalties (enterprise_id, paid_on, decided_on);
CREATE INDEX penalties_campaign ON penalties (campaign_id, id);
CREATE INDEX penalties_decided_on ON penalties (decided_on);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    inspection_id BIGINT REFERENCES inspections (id),
    campaign_id BIGINT REFERENCES campaigns (id),
    kind TEXT NOT NULL CHECK (kind IN ('suspend_production', 'stop_construction')),
    reason TEXT NOT NULL,
    issued_on DATE NOT NULL,
    lifted_on DATE,
    lift_note TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_enterprise ON orders (enterprise_id, lifted_on);
CREATE INDEX orders_campaign ON orders (campaign_id, id);
CREATE INDEX orders_issued_on ON orders (issued_on);
