DROP TABLE idempotency_keys;
DROP TABLE login_failures;
DROP TABLE audit_events;
DROP TABLE users;
DROP TABLE enterprises;
DROP TABLE industries;
DROP TABLE districts;
