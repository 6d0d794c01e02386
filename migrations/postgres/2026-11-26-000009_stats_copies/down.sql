DROP INDEX hazards_campaign_cell;
DROP INDEX hazards_cell_date;
DROP INDEX inspections_campaign_cell;
DROP INDEX inspections_cell_date;
ALTER TABLE hazards DROP COLUMN industry, DROP COLUMN district;
ALTER TABLE inspections
    DROP COLUMN campaign_first,
    DROP COLUMN prev_inspected_on,
    DROP COLUMN industry,
    DROP COLUMN district;
