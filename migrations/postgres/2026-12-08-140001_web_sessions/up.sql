-- The portal's server-side sessions (PORTAL 7.2). The cookie holds a random 128-bit id; only its
-- SHA-256 is stored. A session is good while it is before `expires_at` (12 hours after the
-- sign-in), used within its role's idle time (30 minutes for staff, 8 hours for enterprises)
-- and of the account's current token version: whatever ends an account's tokens (password
-- change, disabling, a new role, logout-all, a second factor reset) ends its sessions too.
CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_user_id ON web_sessions (user_id);
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
