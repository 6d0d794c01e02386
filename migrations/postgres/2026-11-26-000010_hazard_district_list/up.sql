-- The overdue hazard list of one district (status = 'open', deadline < today, newest first, a
-- page of 50) now filters on the hazard's own copy of its district (000009) instead of joining
-- enterprises. This partial index serves it exactly: the open hazards of the district, newest
-- first, with the deadline to test in the index.
CREATE INDEX hazards_open_district ON hazards (district, id, deadline) WHERE status = 'open';
