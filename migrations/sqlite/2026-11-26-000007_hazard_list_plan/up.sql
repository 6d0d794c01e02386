-- The overdue hazard list (status = 'open', deadline < today, newest first, LIMIT 50) is best
-- served by scanning the partial index hazards_open_id newest first and stopping after 50 hits.
-- With (status, deadline, id) available, SQLite 3.50 fetched every open overdue hazard, joined
-- and sorted them all (8-25 ms a request at city scale). Other readers of open hazards use
-- hazards_open_id or hazards_enterprise_status.
DROP INDEX hazards_status_deadline;
