-- Platform: reference data, enterprises, users, the audit trail, login throttling, idempotency.
-- Every instant is UTC in a TIMESTAMP column; enumerations are text with a CHECK constraint.

CREATE TABLE districts (
    code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 40 AND code NOT GLOB '*[^a-z0-9_]*'),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);

CREATE TABLE industries (
    code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 40 AND code NOT GLOB '*[^a-z0-9_]*'),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100)
);

CREATE TABLE enterprises (
    id INTEGER PRIMARY KEY,
    credit_code TEXT NOT NULL UNIQUE CHECK (length(credit_code) = 18),
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    industry TEXT NOT NULL REFERENCES industries (code),
    district TEXT NOT NULL REFERENCES districts (code),
    address TEXT NOT NULL,
    legal_representative TEXT NOT NULL,
    safety_director TEXT,
    employee_count INTEGER NOT NULL CHECK (employee_count >= 0),
    status TEXT NOT NULL CHECK (status IN ('operating', 'suspended', 'closed')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX enterprises_industry_id ON enterprises (industry, id);
CREATE INDEX enterprises_district_id ON enterprises (district, id);
CREATE INDEX enterprises_status_id ON enterprises (status, id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'inspector', 'enterprise')),
    enterprise_id BIGINT REFERENCES enterprises (id),
    display_name TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT 0,
    token_version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((role = 'enterprise') = (enterprise_id IS NOT NULL))
);
CREATE INDEX users_enterprise_id ON users (enterprise_id);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 1),
    action TEXT NOT NULL,
    actor_user_id BIGINT,
    actor_role TEXT NOT NULL,
    payload TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (aggregate_type, aggregate_id, seq)
);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username_at ON login_failures (username, at);
CREATE INDEX login_failures_at ON login_failures (at);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

INSERT INTO districts (code, name) VALUES
    ('shinan', '市南区'), ('shibei', '市北区'), ('licang', '李沧区'), ('laoshan', '崂山区'),
    ('huangdao', '黄岛区'), ('chengyang', '城阳区'), ('jimo', '即墨区'), ('jiaozhou', '胶州市'),
    ('pingdu', '平度市'), ('laixi', '莱西市');

INSERT INTO industries (code, name) VALUES
    ('hazardous_chemicals', '危险化学品'), ('fireworks', '烟花爆竹'), ('non_coal_mining', '非煤矿山'),
    ('metallurgy', '冶金'), ('nonferrous_metals', '有色'), ('building_materials', '建材'),
    ('machinery', '机械'), ('light_industry', '轻工'), ('textiles', '纺织'), ('tobacco', '烟草'),
    ('commerce_trade', '商贸'), ('construction', '建筑施工'), ('road_transport', '道路运输'),
    ('marine_fishery', '海洋渔业'), ('gas', '燃气'), ('special_equipment', '特种设备'),
    ('fire_safety', '消防'), ('civil_air_defense', '人防工程'), ('forest_fire_prevention', '森林防火'),
    ('meteorology', '气象');
