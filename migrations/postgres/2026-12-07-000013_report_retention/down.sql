DROP INDEX rewards_payee_kept;
DROP INDEX reports_contact_kept_concluded;
ALTER TABLE reports DROP COLUMN identity_erased_at;
