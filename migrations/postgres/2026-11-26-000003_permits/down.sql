DROP TABLE number_sequences;
ALTER TABLE applications DROP CONSTRAINT applications_certificate_fk;
DROP TABLE certificates;
DROP TABLE applications;
DROP TABLE permit_types;
