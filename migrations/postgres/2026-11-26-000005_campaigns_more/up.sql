-- Inspection campaigns, continued: indexes for the list filters of SPEC 4 and for the figures.
CREATE INDEX hazards_enterprise_id ON hazards (enterprise_id, id);
CREATE INDEX hazards_inspection ON hazards (inspection_id);
CREATE INDEX hazards_level_status ON hazards (level, status, id);
-- Open hazards newest first: `overdue=true` (with `district`/`industry`) reads only a page's worth.
CREATE INDEX hazards_open_id ON hazards (id, deadline) WHERE status = 'open';
CREATE INDEX penalties_enterprise_id ON penalties (enterprise_id, id);
CREATE INDEX orders_enterprise_id ON orders (enterprise_id, id);
CREATE INDEX orders_in_force ON orders (lifted_on, id);
CREATE INDEX inspections_campaign_enterprise ON inspections (campaign_id, enterprise_id);
CREATE INDEX stationing_inspectors_inspector ON stationing_inspectors (inspector_id);
