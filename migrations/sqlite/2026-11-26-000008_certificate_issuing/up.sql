-- The no_duplicate rule counts an enterprise's active, unexpired certificates of one type
-- (enterprise_id, permit_type, status = 'active', valid_until >= today). With the old index on
-- (enterprise_id, permit_type, status) SQLite 3.50, which has no statistics here, chose
-- (status, valid_until) instead and counted through every active certificate of the city:
-- a quarter of an instant approval's time with 3,000 certificates, growing with the city.
-- With valid_until in the index the lookup is covering and exact.
DROP INDEX certificates_enterprise;
CREATE INDEX certificates_enterprise ON certificates (enterprise_id, permit_type, status, valid_until);

-- PostgreSQL only uses this table (see the PostgreSQL migration); it exists here too so that
-- both schemas stay the same.
CREATE TABLE durability_marks (
    backend_pid INTEGER PRIMARY KEY,
    flushes BIGINT NOT NULL
);
