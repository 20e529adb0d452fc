-- Sign-in of HQ people to the browser console (ADR 0024), kept in the database so several HQ
-- nodes over one PostgreSQL database share it.
--
-- A user's console password as an argon2id PHC string (algorithm, parameters, salt, hash);
-- a user without a row cannot sign in. Devices keep their own tokens (devices.token_hash).
CREATE TABLE console_passwords (
    user_id INTEGER PRIMARY KEY REFERENCES users (user_id),
    phc     TEXT NOT NULL,
    set_at  INTEGER NOT NULL
);

-- A signed-in browser: only the SHA-256 of its random cookie token is stored, so a copy of
-- the database signs nobody in. Signing out deletes the row; an expired row is refused and
-- deleted at a later sign-in.
CREATE TABLE console_sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (user_id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX console_sessions_by_user ON console_sessions (user_id);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);

-- Failed sign-ins per user name as typed (lower-cased), whether or not such a user exists,
-- so that a lock-out holds on every HQ node and tells nothing about which names exist.
CREATE TABLE console_sign_in_failures (
    name         TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER
);

-- The console's case list filters on these besides the columns 0005 indexed.
CREATE INDEX case_index_by_category ON case_index (product_category, number);
CREATE INDEX case_index_by_engineer ON case_index (engineer, number);
CREATE INDEX case_index_by_serial ON case_index (serial_number);
CREATE INDEX case_index_by_customer ON case_index (customer_name);
