-- Permits (SPEC 2): the permit types with their form fields, applications, electronic
-- certificates, and the number sequences that keep certificate numbers free of gaps.
-- JSON is stored as text (both backends).

CREATE TABLE permit_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('instant_approval', 'instant_filing', 'review')),
    -- What an approval does: issue a new licence, continue one (renewal, change, reissue), or
    -- record a filing.
    kind TEXT NOT NULL CHECK (kind IN ('licence', 'renewal', 'change', 'reissue', 'filing')),
    -- Null: the certificate keeps the old expiry (change, reissue) or there is none (filings).
    validity_months INTEGER CHECK (validity_months IS NULL OR validity_months BETWEEN 1 AND 240),
    statutory_days INTEGER NOT NULL CHECK (statutory_days BETWEEN 1 AND 365),
    -- JSON array of industry codes; empty admits every industry.
    industries TEXT NOT NULL,
    -- JSON array of {key, label, type, required, constraints}.
    fields TEXT NOT NULL,
    -- JSON array of the licence types a renewal, change or reissue continues.
    applies_to TEXT NOT NULL,
    -- Certificate number prefix of a licence type (QD-<prefix>-<year>-<serial>).
    certificate_prefix TEXT,
    active BOOLEAN NOT NULL,
    updated_at TIMESTAMP,
    CHECK ((kind = 'licence') = (certificate_prefix IS NOT NULL))
);

INSERT INTO permit_types (code, name, mode, kind, validity_months, statutory_days, industries, fields, applies_to, certificate_prefix, active) VALUES
    ('hazchem_business_no_storage', '危险化学品经营许可证（不带储存）', 'instant_approval', 'licence', 36, 20, '["hazardous_chemicals","commerce_trade"]', '[{"key":"premises_address","label":"经营场所地址","type":"text","required":true,"constraints":{"min_length":2,"max_length":300}},{"key":"premises_area_m2","label":"经营场所面积（平方米）","type":"decimal","required":true,"constraints":{"gt":0,"max":1000000}},{"key":"principal_cert_no","label":"主要负责人安全生产知识和管理能力考核合格证编号","type":"text","required":true,"constraints":{"min_length":4,"max_length":40}},{"key":"safety_manager_cert_no","label":"安全生产管理人员考核合格证编号","type":"text","required":true,"constraints":{"min_length":4,"max_length":40}},{"key":"chemicals","label":"经营的危险化学品品种","type":"list","required":true,"constraints":{"min_items":1,"max_items":500,"item_fields":[{"key":"name","label":"品名","type":"text","required":true,"constraints":{"min_length":1,"max_length":100}},{"key":"cas_no","label":"CAS号","type":"text","required":true,"constraints":{"format":"cas_no"}}]}},{"key":"includes_highly_toxic","label":"是否经营剧毒化学品","type":"bool","required":true},{"key":"includes_explosive_precursors","label":"是否经营易制爆危险化学品","type":"bool","required":true}]', '[]', 'WHJY', TRUE),
    ('hazchem_business_renewal', '危险化学品经营许可证延期', 'instant_approval', 'renewal', 36, 20, '["hazardous_chemicals","commerce_trade"]', '[{"key":"certificate_no","label":"原许可证编号","type":"text","required":true,"constraints":{"format":"certificate_no"}}]', '["hazchem_business_no_storage","hazchem_business_storage"]', NULL, TRUE),
    ('hazchem_business_change', '危险化学品经营许可证变更（名称、主要负责人、注册地址）', 'instant_approval', 'change', NULL, 20, '["hazardous_chemicals","commerce_trade"]', '[{"key":"certificate_no","label":"原许可证编号","type":"text","required":true,"constraints":{"format":"certificate_no"}},{"key":"changed_items","label":"变更事项","type":"list","required":true,"constraints":{"min_items":1,"max_items":3,"item_type":"enum","values":["name","principal","registered_address"]}}]', '["hazchem_business_no_storage","hazchem_business_storage"]', NULL, TRUE),
    ('fireworks_retail', '烟花爆竹经营（零售）许可证', 'instant_approval', 'licence', 12, 20, '["fireworks","commerce_trade"]', '[{"key":"premises_address","label":"经营场所地址","type":"text","required":true,"constraints":{"min_length":2,"max_length":300}},{"key":"premises_area_m2","label":"经营场所面积（平方米）","type":"decimal","required":true,"constraints":{"gt":0,"max":1000000}},{"key":"storage_room_area_m2","label":"专用储存间面积（平方米）","type":"decimal","required":false,"constraints":{"min":0,"max":10000}},{"key":"max_stock_boxes","label":"最大存放量（箱）","type":"integer","required":true,"constraints":{"min":1,"max":100000}},{"key":"principal_cert_no","label":"主要负责人安全生产知识和管理能力考核合格证编号","type":"text","required":true,"constraints":{"min_length":4,"max_length":40}},{"key":"safety_manager_cert_no","label":"安全生产管理人员考核合格证编号","type":"text","required":true,"constraints":{"min_length":4,"max_length":40}}]', '[]', 'YHBZ', TRUE),
    ('fireworks_retail_renewal', '烟花爆竹经营（零售）许可证延期', 'instant_approval', 'renewal', 12, 20, '["fireworks","commerce_trade"]', '[{"key":"certificate_no","label":"原许可证编号","type":"text","required":true,"constraints":{"format":"certificate_no"}}]', '["fireworks_retail"]', NULL, TRUE),
    ('safety_director_filing', '安全总监任命备案', 'instant_filing', 'filing', NULL, 20, '[]', '[{"key":"director_name","label":"安全总监姓名","type":"text","required":true,"constraints":{"min_length":1,"max_length":100}},{"key":"appointed_on","label":"任命日期","type":"date","required":true},{"key":"cert_no","label":"安全生产管理人员考核合格证编号","type":"text","required":false,"constraints":{"min_length":4,"max_length":40}}]', '[]', NULL, TRUE),
    ('emergency_plan_filing', '生产安全事故应急预案备案', 'instant_filing', 'filing', NULL, 20, '[]', '[{"key":"plan_name","label":"预案名称","type":"text","required":true,"constraints":{"min_length":2,"max_length":200}},{"key":"approved_on","label":"预案发布日期","type":"date","required":true},{"key":"next_drill_on","label":"下次演练日期","type":"date","required":true,"constraints":{"after_field":"approved_on"}}]', '[]', NULL, TRUE),
    ('major_hazard_source_filing', '重大危险源备案', 'instant_filing', 'filing', NULL, 20, '[]', '[{"key":"source_name","label":"重大危险源名称","type":"text","required":true,"constraints":{"min_length":2,"max_length":200}},{"key":"location","label":"所在位置","type":"text","required":true,"constraints":{"min_length":2,"max_length":300}},{"key":"grade","label":"重大危险源等级","type":"enum","required":true,"constraints":{"values":["grade_1","grade_2","grade_3","grade_4"]}},{"key":"chemicals","label":"经营的危险化学品品种","type":"list","required":true,"constraints":{"min_items":1,"max_items":500,"item_fields":[{"key":"name","label":"品名","type":"text","required":true,"constraints":{"min_length":1,"max_length":100}},{"key":"cas_no","label":"CAS号","type":"text","required":true,"constraints":{"format":"cas_no"}}]}}]', '[]', NULL, TRUE),
    ('safety_training_filing', '主要负责人、安全管理人员培训考核备案', 'instant_filing', 'filing', NULL, 20, '[]', '[{"key":"person_role","label":"人员类别","type":"enum","required":true,"constraints":{"values":["principal","safety_manager"]}},{"key":"person_name","label":"姓名","type":"text","required":true,"constraints":{"min_length":1,"max_length":100}},{"key":"cert_no","label":"考核合格证编号","type":"text","required":true,"constraints":{"min_length":4,"max_length":40}},{"key":"issued_on","label":"发证日期","type":"date","required":true},{"key":"expires_on","label":"有效期至","type":"date","required":true,"constraints":{"after_field":"issued_on"}}]', '[]', NULL, TRUE),
    ('hazchem_business_reissue', '危险化学品经营许可证补办（遗失、损毁）', 'instant_approval', 'reissue', NULL, 20, '["hazardous_chemicals","commerce_trade"]', '[{"key":"certificate_no","label":"原许可证编号","type":"text","required":true,"constraints":{"format":"certificate_no"}},{"key":"reason","label":"补办原因","type":"enum","required":true,"constraints":{"values":["lost","damaged"]}}]', '["hazchem_business_no_storage","hazchem_business_storage"]', NULL, TRUE),
    ('hazchem_business_storage', '危险化学品经营许可证（带储存）', 'review', 'licence', 36, 30, '["hazardous_chemicals","commerce_trade"]', '[{"key":"premises_address","label":"经营场所地址","type":"text","required":true,"constraints":{"min_length":2,"max_length":300}},{"key":"premises_area_m2","label":"经营场所面积（平方米）","type":"decimal","required":true,"constraints":{"gt":0,"max":1000000}},{"key":"storage_address","label":"储存设施地址","type":"text","required":true,"constraints":{"min_length":2,"max_length":300}},{"key":"storage_capacity_m3","label":"储存设施容量（立方米）","type":"decimal","required":true,"constraints":{"gt":0,"max":10000000}},{"key":"principal_cert_no","label":"主要负责人安全生产知识和管理能力考核合格证编号","type":"text","required":true,"constraints":{"min_length":4,"max_length":40}},{"key":"safety_manager_cert_no","label":"安全生产管理人员考核合格证编号","type":"text","required":true,"constraints":{"min_length":4,"max_length":40}},{"key":"chemicals","label":"经营的危险化学品品种","type":"list","required":true,"constraints":{"min_items":1,"max_items":500,"item_fields":[{"key":"name","label":"品名","type":"text","required":true,"constraints":{"min_length":1,"max_length":100}},{"key":"cas_no","label":"CAS号","type":"text","required":true,"constraints":{"format":"cas_no"}}]}},{"key":"includes_highly_toxic","label":"是否经营剧毒化学品","type":"bool","required":true},{"key":"includes_explosive_precursors","label":"是否经营易制爆危险化学品","type":"bool","required":true}]', '[]', 'WHJC', TRUE),
    ('non_coal_mine_safety', '非煤矿山安全生产许可证', 'review', 'licence', 36, 45, '["non_coal_mining"]', '[{"key":"mine_name","label":"矿山名称","type":"text","required":true,"constraints":{"min_length":2,"max_length":200}},{"key":"mine_address","label":"矿山地址","type":"text","required":true,"constraints":{"min_length":2,"max_length":300}},{"key":"mineral","label":"开采矿种","type":"text","required":true,"constraints":{"min_length":1,"max_length":100}},{"key":"mining_method","label":"开采方式","type":"enum","required":true,"constraints":{"values":["open_pit","underground"]}},{"key":"annual_capacity_t","label":"设计年生产能力（吨）","type":"decimal","required":true,"constraints":{"gt":0,"max":1000000000.0}},{"key":"principal_cert_no","label":"主要负责人安全生产知识和管理能力考核合格证编号","type":"text","required":true,"constraints":{"min_length":4,"max_length":40}},{"key":"safety_manager_cert_no","label":"安全生产管理人员考核合格证编号","type":"text","required":true,"constraints":{"min_length":4,"max_length":40}}]', '[]', 'FMKS', TRUE);

CREATE TABLE applications (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    -- QDYJ-<year>-<id, six digits at least>.
    number TEXT NOT NULL UNIQUE,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    permit_type TEXT NOT NULL REFERENCES permit_types (code),
    mode TEXT NOT NULL CHECK (mode IN ('instant_approval', 'instant_filing', 'review')),
    -- JSON object: the form as validated.
    form TEXT NOT NULL,
    commitment_accepted BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'rejected', 'filed', 'under_review', 'withdrawn')),
    submitted_at TIMESTAMP,
    decided_at TIMESTAMP,
    -- Review path: the local date by which a reviewer must decide.
    due_on DATE,
    -- Null when the rules decided.
    decided_by BIGINT REFERENCES users (id),
    decision_reason TEXT,
    -- JSON array of {rule, outcome, message}, stored at submission.
    rule_results TEXT,
    certificate_id BIGINT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX applications_enterprise ON applications (enterprise_id, permit_type, status);
CREATE INDEX applications_enterprise_id ON applications (enterprise_id, id);
CREATE INDEX applications_status ON applications (status, due_on, id);
CREATE INDEX applications_permit_type ON applications (permit_type, id);
CREATE INDEX applications_submitted_at ON applications (submitted_at);

CREATE TABLE certificates (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    -- QD-<prefix>-<year>-<serial>: a gap-free serial per prefix and year.
    number TEXT NOT NULL UNIQUE,
    permit_type TEXT NOT NULL REFERENCES permit_types (code),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id),
    application_id BIGINT NOT NULL UNIQUE REFERENCES applications (id),
    holder_name TEXT NOT NULL,
    holder_credit_code TEXT NOT NULL,
    holder_address TEXT NOT NULL,
    holder_legal_representative TEXT NOT NULL,
    -- JSON object: the licensed scope, from the form.
    scope TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    valid_from DATE NOT NULL,
    valid_until DATE NOT NULL,
    -- 'expired' is derived from valid_until, never stored.
    status TEXT NOT NULL CHECK (status IN ('active', 'superseded', 'revoked')),
    revoked_at TIMESTAMP,
    revoke_reason TEXT,
    superseded_by BIGINT REFERENCES certificates (id),
    -- 10 Crockford base32 characters, printed on the certificate.
    verification_code TEXT NOT NULL,
    -- The canonical JSON that was signed, and its Ed25519 signature (base64).
    signed_payload TEXT NOT NULL,
    signature TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (valid_until >= valid_from),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
    CHECK ((status = 'superseded') = (superseded_by IS NOT NULL))
);
CREATE INDEX certificates_enterprise ON certificates (enterprise_id, permit_type, status);
CREATE INDEX certificates_enterprise_id ON certificates (enterprise_id, id);
CREATE INDEX certificates_permit_type ON certificates (permit_type, id);
CREATE INDEX certificates_status_valid_until ON certificates (status, valid_until);
CREATE INDEX certificates_issued_at ON certificates (issued_at);
CREATE INDEX certificates_revoked ON certificates (permit_type, revoked_at);

-- One row per (prefix, year); incremented inside the issuing transaction, so concurrent
-- issuers of one prefix queue on the row and a rolled-back issue leaves no gap.
CREATE TABLE number_sequences (
    prefix TEXT NOT NULL,
    year INTEGER NOT NULL,
    last BIGINT NOT NULL CHECK (last >= 0),
    PRIMARY KEY (prefix, year)
);

ALTER TABLE applications ADD CONSTRAINT applications_certificate_fk FOREIGN KEY (certificate_id) REFERENCES certificates (id);
