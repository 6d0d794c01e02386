CREATE INDEX hazards_status_deadline ON hazards (status, deadline, id);
