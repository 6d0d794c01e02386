DROP TABLE durability_marks;
DROP INDEX certificates_enterprise;
CREATE INDEX certificates_enterprise ON certificates (enterprise_id, permit_type, status);
