DROP TABLE totp_challenges;
DROP TABLE totp_recovery_codes;
DROP TABLE user_totp;
