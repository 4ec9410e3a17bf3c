-- Team, companies and tokens: when a token's user last confirmed their password (upstream's sliding
-- "recently authenticated" window), and one-time tokens handed to off-API flows (gateway onboarding).

ALTER TABLE company_tokens ADD COLUMN password_confirmed_at timestamptz;

CREATE TABLE one_time_tokens (
    company_id  bigint NOT NULL REFERENCES companies (id),
    token_hash  bytea NOT NULL UNIQUE,
    user_id     bigint NOT NULL REFERENCES users (id),
    context     text NOT NULL,
    is_react    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (company_id, token_hash)
);
CREATE INDEX one_time_tokens_expiry ON one_time_tokens (expires_at);
