DROP TABLE rewards;
DROP TABLE report_penalties;
DROP TABLE report_messages;
DROP TABLE reports;
DROP TABLE reward_situations;
DROP TABLE reward_rules;
