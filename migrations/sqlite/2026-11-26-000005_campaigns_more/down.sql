DROP INDEX stationing_inspectors_inspector;
DROP INDEX inspections_campaign_enterprise;
DROP INDEX orders_in_force;
DROP INDEX orders_enterprise_id;
DROP INDEX penalties_enterprise_id;
DROP INDEX hazards_level_status;
DROP INDEX hazards_inspection;
DROP INDEX hazards_enterprise_id;
