-- Two-factor sign-in (TOTP, RFC 6238; SPEC 1.5).
-- One second factor per account: its secret sealed under ANJIAN_DATA_KEY (never the base32
-- secret itself), on once `enabled_at` is set, and the last 30-second step a code was accepted
-- for, so that no code is accepted twice.
CREATE TABLE user_totp (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    secret_sealed TEXT NOT NULL,
    enabled_at TIMESTAMP,
    last_used_step BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Recovery codes, stored only as keyed SHA-256 hashes; each stands for a code once.
CREATE TABLE totp_recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP,
    UNIQUE (user_id, code_hash)
);

-- The second step of a sign-in: a short-lived, single-use challenge, stored as its SHA-256.
CREATE TABLE totp_challenges (
    challenge_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX totp_challenges_user_id ON totp_challenges (user_id);
CREATE INDEX totp_challenges_expires_at ON totp_challenges (expires_at);
