DROP INDEX hazards_open_district;
