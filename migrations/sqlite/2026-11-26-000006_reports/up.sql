-- Whistleblower reports and rewards (SPEC 5): the reward rules (versioned by effective_from),
-- the reward-situation catalogue, reports with their encrypted contact, messages, the penalties
-- a report led to, and rewards with their encrypted payee.
--
-- Reporter contact and payee are sealed with ChaCha20-Poly1305 under ANJIAN_DATA_KEY and stored
-- as base64(nonce || ciphertext); the receipt is stored only as its argon2id hash (hex). No
-- column holds a client address.

CREATE TABLE reward_rules (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL CHECK (category IN ('general_hazard', 'major_hazard', 'illegal_production', 'concealed_accident', 'late_report', 'other')),
    kind TEXT NOT NULL CHECK (kind IN ('fixed', 'fine_share', 'per_death', 'none')),
    amount_fen BIGINT CHECK (amount_fen >= 0),
    -- Basis points: 5000 = 50%.
    rate_bp INTEGER CHECK (rate_bp > 0 AND rate_bp <= 10000),
    per_death_general_fen BIGINT,
    per_death_larger_fen BIGINT,
    per_death_major_fen BIGINT,
    per_death_especially_major_fen BIGINT,
    floor_fen BIGINT CHECK (floor_fen >= 0),
    cap_fen BIGINT CHECK (cap_fen >= 0),
    uplift_bp INTEGER NOT NULL CHECK (uplift_bp >= 0 AND uplift_bp <= 10000),
    effective_from DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (category, effective_from)
);

CREATE TABLE reward_situations (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    industry TEXT NOT NULL REFERENCES industries (code),
    category TEXT NOT NULL CHECK (category IN ('general_hazard', 'major_hazard', 'illegal_production', 'concealed_accident', 'late_report', 'other')),
    description TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('fixed', 'fine_share', 'per_death')),
    amount_fen BIGINT CHECK (amount_fen >= 0),
    rate_bp INTEGER CHECK (rate_bp > 0 AND rate_bp <= 10000),
    per_death_general_fen BIGINT,
    per_death_larger_fen BIGINT,
    per_death_major_fen BIGINT,
    per_death_especially_major_fen BIGINT,
    floor_fen BIGINT CHECK (floor_fen >= 0),
    cap_fen BIGINT CHECK (cap_fen >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX reward_situations_industry ON reward_situations (industry, id);

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    receipt_hash TEXT NOT NULL UNIQUE,
    industry TEXT NOT NULL REFERENCES industries (code),
    category TEXT NOT NULL CHECK (category IN ('general_hazard', 'major_hazard', 'illegal_production', 'concealed_accident', 'late_report', 'other')),
    enterprise_name TEXT,
    enterprise_credit_code TEXT,
    enterprise_id BIGINT REFERENCES enterprises (id),
    district TEXT REFERENCES districts (code),
    location TEXT,
    occurred_on DATE,
    description TEXT NOT NULL,
    is_employee BOOLEAN NOT NULL,
    contact_sealed TEXT,
    status TEXT NOT NULL CHECK (status IN ('received', 'assigned', 'investigating', 'substantiated', 'unsubstantiated', 'duplicate')),
    assignee_id BIGINT REFERENCES users (id),
    duplicate_of BIGINT REFERENCES reports (id),
    findings TEXT,
    situation_code TEXT REFERENCES reward_situations (code),
    accident_grade TEXT CHECK (accident_grade IN ('general', 'larger', 'major', 'especially_major')),
    concealed_deaths INTEGER CHECK (concealed_deaths >= 0),
    identity_opened_at TIMESTAMP,
    filed_on DATE NOT NULL,
    received_at TIMESTAMP NOT NULL,
    concluded_on DATE,
    concluded_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((status = 'duplicate') = (duplicate_of IS NOT NULL))
);
CREATE INDEX reports_status ON reports (status, id);
CREATE INDEX reports_category ON reports (category, id);
CREATE INDEX reports_industry ON reports (industry, id);
CREATE INDEX reports_district ON reports (district, id);
CREATE INDEX reports_assignee ON reports (assignee_id, id);
CREATE INDEX reports_filed_on ON reports (filed_on);
CREATE INDEX reports_enterprise ON reports (enterprise_id);

CREATE TABLE report_messages (
    id INTEGER PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports (id),
    direction TEXT NOT NULL CHECK (direction IN ('from_reporter', 'to_reporter', 'internal')),
    body TEXT NOT NULL,
    author_id BIGINT REFERENCES users (id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX report_messages_report ON report_messages (report_id, id);

CREATE TABLE report_penalties (
    report_id BIGINT NOT NULL REFERENCES reports (id),
    penalty_id BIGINT NOT NULL REFERENCES penalties (id),
    PRIMARY KEY (report_id, penalty_id)
);
CREATE INDEX report_penalties_penalty ON report_penalties (penalty_id);

CREATE TABLE rewards (
    id INTEGER PRIMARY KEY,
    report_id BIGINT NOT NULL UNIQUE REFERENCES reports (id),
    industry TEXT NOT NULL REFERENCES industries (code),
    status TEXT NOT NULL CHECK (status IN ('decided', 'claimed', 'paid', 'lapsed')),
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    computed_fen BIGINT NOT NULL CHECK (computed_fen >= 0),
    overridden BOOLEAN NOT NULL,
    override_reason TEXT,
    -- JSON: {rule, situation_code, base_fen, rate, per_death_fen, deaths, floor_fen, cap_fen, uplift_rate, amount_fen}
    breakdown TEXT NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP NOT NULL,
    decided_on DATE NOT NULL,
    claim_deadline DATE NOT NULL,
    payee_sealed TEXT,
    claimed_at TIMESTAMP,
    paid_on DATE,
    payment_reference TEXT,
    lapsed_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rewards_status_deadline ON rewards (status, claim_deadline);
CREATE INDEX rewards_decided_on ON rewards (decided_on);
CREATE INDEX rewards_paid_on ON rewards (paid_on);
CREATE INDEX rewards_industry ON rewards (industry, id);

-- The Shandong defaults that Qingdao applies (SPEC 5.3), in force from 2020.
INSERT INTO reward_rules (category, kind, amount_fen, rate_bp, per_death_general_fen, per_death_larger_fen,
    per_death_major_fen, per_death_especially_major_fen, floor_fen, cap_fen, uplift_bp, effective_from, created_at) VALUES
    ('general_hazard', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, 2000, '2020-01-01', '2020-01-01 00:00:00'),
    ('major_hazard', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, 2000, '2020-01-01', '2020-01-01 00:00:00'),
    ('illegal_production', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, 2000, '2020-01-01', '2020-01-01 00:00:00'),
    ('concealed_accident', 'per_death', NULL, NULL, 3000000, 4000000, 5000000, 6000000, NULL, 50000000, 2000, '2020-01-01', '2020-01-01 00:00:00'),
    ('late_report', 'per_death', NULL, NULL, 3000000, 4000000, 5000000, 6000000, NULL, 50000000, 2000, '2020-01-01', '2020-01-01 00:00:00'),
    ('other', 'none', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2000, '2020-01-01', '2020-01-01 00:00:00');

-- A small catalogue per industry, to show the shape; a city imports its full standard.
INSERT INTO reward_situations (code, industry, category, description, kind, amount_fen, rate_bp,
    per_death_general_fen, per_death_larger_fen, per_death_major_fen, per_death_especially_major_fen,
    floor_fen, cap_fen, created_at, updated_at) VALUES
    ('HC-01', 'hazardous_chemicals', 'illegal_production', '无证生产、经营、储存危险化学品', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 1000000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('HC-02', 'hazardous_chemicals', 'major_hazard', '重大危险源未登记建档或未按规定监测监控', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('HC-03', 'hazardous_chemicals', 'general_hazard', '危险化学品仓库超量、混存', 'fixed', 100000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('FW-01', 'fireworks', 'illegal_production', '非法生产、储存烟花爆竹（黑作坊）', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 1000000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('FW-02', 'fireworks', 'general_hazard', '零售点超量储存或与居住场所设置在同一建筑物内', 'fixed', 100000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('NM-01', 'non_coal_mining', 'illegal_production', '无证开采或超层越界开采', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 1000000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('NM-02', 'non_coal_mining', 'concealed_accident', '瞒报非煤矿山生产安全事故', 'per_death', NULL, NULL, 4000000, 5000000, 6000000, 6000000, NULL, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('MT-01', 'metallurgy', 'major_hazard', '高温熔融金属吊运设备不符合要求', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('MT-02', 'metallurgy', 'general_hazard', '煤气区域未设置固定式报警仪', 'fixed', 80000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('NF-01', 'nonferrous_metals', 'major_hazard', '铝液深井铸造未设置紧急排放和应急储存设施', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('NF-02', 'nonferrous_metals', 'general_hazard', '有限空间作业未审批', 'fixed', 60000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('BM-01', 'building_materials', 'major_hazard', '水泥筒型储库人工清库未落实安全措施', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('BM-02', 'building_materials', 'general_hazard', '回转窑巡检通道防护缺失', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('MC-01', 'machinery', 'major_hazard', '涂装作业场所爆炸危险区域电气设备不防爆', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('MC-02', 'machinery', 'general_hazard', '冲压设备安全防护装置缺失', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('LI-01', 'light_industry', 'major_hazard', '粉尘涉爆场所除尘系统不符合要求', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('LI-02', 'light_industry', 'general_hazard', '食品加工企业液氨制冷车间人员密集', 'fixed', 80000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('TX-01', 'textiles', 'general_hazard', '纺织车间消防通道堵塞', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('TX-02', 'textiles', 'major_hazard', '纤维粉尘场所未落实防爆措施', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('TB-01', 'tobacco', 'general_hazard', '烟叶仓库电气线路私拉乱接', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('TB-02', 'tobacco', 'major_hazard', '锅炉房燃气泄漏报警装置失效', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('CT-01', 'commerce_trade', 'general_hazard', '商场安全出口锁闭、疏散通道堵塞', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('CT-02', 'commerce_trade', 'late_report', '迟报、漏报商贸场所生产安全事故', 'per_death', NULL, NULL, 3000000, 4000000, 5000000, 6000000, NULL, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('CN-01', 'construction', 'illegal_production', '未取得施工许可擅自施工', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('CN-02', 'construction', 'major_hazard', '深基坑未按方案支护', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('CN-03', 'construction', 'concealed_accident', '瞒报建筑施工生产安全事故', 'per_death', NULL, NULL, 3000000, 4000000, 5000000, 6000000, NULL, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('RT-01', 'road_transport', 'illegal_production', '无资质从事危险货物道路运输', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 1000000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('RT-02', 'road_transport', 'general_hazard', '客运车辆动态监控装置故意遮挡', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('MF-01', 'marine_fishery', 'illegal_production', '渔船无证或证书失效出海作业', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('MF-02', 'marine_fishery', 'general_hazard', '渔船未配备救生设备或超员', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('MF-03', 'marine_fishery', 'concealed_accident', '瞒报渔业船舶安全事故', 'per_death', NULL, NULL, 3000000, 4000000, 5000000, 6000000, NULL, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('GS-01', 'gas', 'illegal_production', '无燃气经营许可证经营瓶装燃气', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('GS-02', 'gas', 'major_hazard', '餐饮场所使用燃气未安装可燃气体报警装置', 'fixed', 200000, NULL, NULL, NULL, NULL, NULL, 200000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('SE-01', 'special_equipment', 'general_hazard', '特种设备超期未检验继续使用', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('SE-02', 'special_equipment', 'illegal_production', '使用未经许可生产的特种设备', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('FS-01', 'fire_safety', 'general_hazard', '消防设施、器材损坏或者擅自停用', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('FS-02', 'fire_safety', 'major_hazard', '人员密集场所违规使用易燃可燃材料装修', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('CA-01', 'civil_air_defense', 'general_hazard', '人防工程擅自改变用途或堵塞出入口', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('CA-02', 'civil_air_defense', 'major_hazard', '人防工程内违规储存易燃易爆物品', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('FF-01', 'forest_fire_prevention', 'general_hazard', '森林防火期内野外违规用火', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('FF-02', 'forest_fire_prevention', 'late_report', '迟报、漏报森林火灾', 'per_death', NULL, NULL, 3000000, 4000000, 5000000, 6000000, NULL, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('MG-01', 'meteorology', 'general_hazard', '施放气球单位未取得资质', 'fixed', 50000, NULL, NULL, NULL, NULL, NULL, 20000, 500000, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    ('MG-02', 'meteorology', 'illegal_production', '雷电防护装置未经检测投入使用', 'fine_share', NULL, 5000, NULL, NULL, NULL, NULL, 500000, 50000000, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
