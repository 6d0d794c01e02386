-- The inspection figures (SPEC 4, GET /api/v1/stats/inspections) group ~520,000 yearly rows by
-- the enterprise's district and industry. Joining each row to its enterprise cost ~1 s at city
-- scale, so inspections and hazards carry copies of the enterprise's `district` and `industry`
-- (written with the row, rewritten by an enterprise edit that changes them), and the figures
-- count ranges of the covering indexes below, one (district, industry) cell at a time.
--
-- Distinct enterprises inspected stay exact without a DISTINCT over the year:
-- * `prev_inspected_on` is the latest `inspected_on` of the same enterprise's inspections that
--   come before this one in (inspected_on, id) order (NULL for its first). The enterprises with
--   an inspection in [from, to] are exactly the inspections in [from, to] whose
--   prev_inspected_on is NULL or before `from` (one per enterprise: its first in the range).
-- * `campaign_first` is true on an enterprise's first inspection (lowest id) in a campaign.
--
-- SQLite cannot add a NOT NULL column without a default; the defaults below are overwritten at
-- once, and every write path sets the columns (the service never relies on the default).
ALTER TABLE inspections ADD COLUMN district TEXT NOT NULL DEFAULT '';
ALTER TABLE inspections ADD COLUMN industry TEXT NOT NULL DEFAULT '';
ALTER TABLE inspections ADD COLUMN prev_inspected_on DATE;
ALTER TABLE inspections ADD COLUMN campaign_first BOOLEAN NOT NULL DEFAULT 0;
UPDATE inspections SET district = e.district, industry = e.industry
    FROM enterprises e WHERE e.id = inspections.enterprise_id;
UPDATE inspections SET prev_inspected_on = (
    SELECT MAX(j.inspected_on) FROM inspections j
    WHERE j.enterprise_id = inspections.enterprise_id
      AND (j.inspected_on < inspections.inspected_on
           OR (j.inspected_on = inspections.inspected_on AND j.id < inspections.id)));
UPDATE inspections SET campaign_first = 1
    WHERE campaign_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM inspections j
        WHERE j.campaign_id = inspections.campaign_id
          AND j.enterprise_id = inspections.enterprise_id AND j.id < inspections.id);

ALTER TABLE hazards ADD COLUMN district TEXT NOT NULL DEFAULT '';
ALTER TABLE hazards ADD COLUMN industry TEXT NOT NULL DEFAULT '';
UPDATE hazards SET district = e.district, industry = e.industry
    FROM enterprises e WHERE e.id = hazards.enterprise_id;

CREATE INDEX inspections_cell_date ON inspections (district, industry, inspected_on, prev_inspected_on);
CREATE INDEX inspections_campaign_cell ON inspections (campaign_id, district, industry, campaign_first);
CREATE INDEX hazards_cell_date ON hazards (district, industry, level, status, found_on, deadline);
CREATE INDEX hazards_campaign_cell ON hazards (campaign_id, district, industry, level, status, deadline);

ANALYZE inspections;
ANALYZE hazards;
