-- The no_duplicate rule counts an enterprise's active, unexpired certificates of one type
-- (enterprise_id, permit_type, status = 'active', valid_until >= today). With the old index on
-- (enterprise_id, permit_type, status) SQLite 3.50, which has no statistics here, chose
-- (status, valid_until) instead and counted through every active certificate of the city:
-- a quarter of an instant approval's time with 3,000 certificates, growing with the city.
-- With valid_until in the index the lookup is covering and exact.
DROP INDEX certificates_enterprise;
CREATE INDEX certificates_enterprise ON certificates (enterprise_id, permit_type, status, valid_until);

-- One row per PostgreSQL backend (its pid): a transaction that committed without waiting for
-- its WAL flush (to release the certificate sequence row at once) is made durable before the
-- service answers by a synchronous commit of a write here, which flushes the WAL up to and past
-- it. Each connection writes only its own row, so these writes never wait for each other.
CREATE TABLE durability_marks (
    backend_pid INTEGER PRIMARY KEY,
    flushes BIGINT NOT NULL
);
