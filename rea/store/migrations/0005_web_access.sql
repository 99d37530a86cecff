-- Access to `rea serve`: one personal link per reviewer. Only a SHA-256 hash of each link's
-- random token is kept, never the token itself. Append-only: a revoked link (by `rea serve
-- revoke`, or replaced by a new invitation) is a row in web_token_revocations.

CREATE TABLE web_tokens (
    token_id     INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the token
    reviewer     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL DEFAULT ''   -- who ran `rea serve invite` (the OS user)
);
CREATE INDEX web_tokens_reviewer ON web_tokens (reviewer, token_id);

CREATE TABLE web_token_revocations (
    token_id     INTEGER PRIMARY KEY REFERENCES web_tokens (token_id),
    revoked_at   TEXT NOT NULL,
    revoked_by   TEXT NOT NULL DEFAULT ''
);

CREATE TRIGGER web_tokens_append_only_u BEFORE UPDATE ON web_tokens
BEGIN SELECT RAISE(ABORT, 'web tokens are append-only'); END;
CREATE TRIGGER web_tokens_append_only_d BEFORE DELETE ON web_tokens
BEGIN SELECT RAISE(ABORT, 'web tokens are append-only'); END;
CREATE TRIGGER web_token_revocations_append_only_u BEFORE UPDATE ON web_token_revocations
BEGIN SELECT RAISE(ABORT, 'web token revocations are append-only'); END;
CREATE TRIGGER web_token_revocations_append_only_d BEFORE DELETE ON web_token_revocations
BEGIN SELECT RAISE(ABORT, 'web token revocations are append-only'); END;
