ALTER TABLE applications ALTER CONSTRAINT applications_certificate_fk NOT DEFERRABLE;
