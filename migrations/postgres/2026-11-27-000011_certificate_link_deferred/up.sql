-- An instant approval writes its application already linked to the certificate it is about to
-- issue (both ids are taken from their sequences first), so the application's link to its
-- certificate is checked when the transaction commits rather than at once. The certificate
-- still names its application at once (certificates.application_id), and every link is still
-- checked before anything is committed.
ALTER TABLE applications ALTER CONSTRAINT applications_certificate_fk DEFERRABLE INITIALLY DEFERRED;
