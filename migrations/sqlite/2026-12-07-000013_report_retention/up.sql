-- Retention (SPEC 6): housekeeping erases the reporter's contact and the payee of a report
-- concluded longer ago than ANJIAN_REPORT_RETENTION_DAYS. `identity_erased_at` says when, so
-- that a named report stays `anonymous: false` and the identity route can say it is gone.
ALTER TABLE reports ADD COLUMN identity_erased_at TIMESTAMP;
-- What is left to erase: only the rows that still hold sealed details are in these indexes,
-- so housekeeping's look-up does not grow with the reports already erased or anonymous.
CREATE INDEX reports_contact_kept_concluded ON reports (concluded_at)
    WHERE contact_sealed IS NOT NULL;
CREATE INDEX rewards_payee_kept ON rewards (report_id) WHERE payee_sealed IS NOT NULL;
