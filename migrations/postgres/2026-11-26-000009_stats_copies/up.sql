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
ALTER TABLE inspections
    ADD COLUMN district TEXT,
    ADD COLUMN industry TEXT,
    ADD COLUMN prev_inspected_on DATE,
    ADD COLUMN campaign_first BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE inspections i SET district = e.district, industry = e.industry
    FROM enterprises e WHERE e.id = i.enterprise_id;
UPDATE inspections i SET prev_inspected_on = (
    SELECT MAX(j.inspected_on) FROM inspections j
    WHERE j.enterprise_id = i.enterprise_id
      AND (j.inspected_on < i.inspected_on OR (j.inspected_on = i.inspected_on AND j.id < i.id)));
UPDATE inspections i SET campaign_first = TRUE
    WHERE i.campaign_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM inspections j
        WHERE j.campaign_id = i.campaign_id AND j.enterprise_id = i.enterprise_id AND j.id < i.id);
ALTER TABLE inspections
    ALTER COLUMN district SET NOT NULL,
    ALTER COLUMN industry SET NOT NULL,
    ALTER COLUMN campaign_first DROP DEFAULT;

ALTER TABLE hazards ADD COLUMN district TEXT, ADD COLUMN industry TEXT;
UPDATE hazards h SET district = e.district, industry = e.industry
    FROM enterprises e WHERE e.id = h.enterprise_id;
ALTER TABLE hazards ALTER COLUMN district SET NOT NULL, ALTER COLUMN industry SET NOT NULL;

CREATE INDEX inspections_cell_date ON inspections (district, industry, inspected_on, prev_inspected_on);
CREATE INDEX inspections_campaign_cell ON inspections (campaign_id, district, industry, campaign_first);
CREATE INDEX hazards_cell_date ON hazards (district, industry, level, status, found_on, deadline);
CREATE INDEX hazards_campaign_cell ON hazards (campaign_id, district, industry, level, status, deadline);

ANALYZE inspections;
ANALYZE hazards;
