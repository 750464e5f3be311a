-- EdgeSync schema: the original four tables with the fixes DESIGN.md requires,
-- plus account_keys. Every per-account table carries account_id so the schema
-- can be distributed by account (e.g. Citus) without changing queries.

CREATE TABLE accounts (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text        NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    disabled_at   timestamptz,
    -- Per-account event counter: bumped in the same transaction as each state
    -- write, so commit order equals sequence order (no reader misses an event).
    last_seq      bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    used_bytes    bigint      NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
    quota_bytes   bigint      CHECK (quota_bytes IS NULL OR quota_bytes >= 0)
);

-- Email is unique case-insensitively among accounts that are not deleted, so a
-- deleted account's email can be registered again.
CREATE UNIQUE INDEX accounts_email_live_key ON accounts (lower(email)) WHERE deleted_at IS NULL;

CREATE TABLE devices (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id          uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                text        NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    device_type         text        NOT NULL
        CHECK (device_type IN ('mobile', 'desktop', 'browser', 'server', 'agent')),
    public_key          bytea,
    last_seen_at        timestamptz,
    revoked_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz,
    wrapped_account_key bytea,
    key_version         integer     NOT NULL DEFAULT 0,
    -- Lets other tables reference (account_id, device_id): a row can never name
    -- a device of another account.
    UNIQUE (account_id, id)
);

CREATE TABLE encrypted_states (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    device_id  uuid        NOT NULL,  -- the device that wrote the current version
    key        text        NOT NULL CHECK (length(key) BETWEEN 1 AND 512),
    state      bytea       NOT NULL DEFAULT '\x',  -- empty for a tombstone
    nonce      bytea       NOT NULL DEFAULT '\x',
    version    bigint      NOT NULL CHECK (version >= 1),
    seq        bigint      NOT NULL CHECK (seq >= 1),
    size       bigint      NOT NULL DEFAULT 0 CHECK (size >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    UNIQUE (account_id, key),
    FOREIGN KEY (account_id, device_id) REFERENCES devices (account_id, id)
);

-- The changes feed: states of an account changed after a sequence number.
CREATE INDEX encrypted_states_account_seq_idx ON encrypted_states (account_id, seq);

CREATE TABLE sync_events (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id      uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    device_id       uuid,
    event_type      text        NOT NULL CHECK (event_type IN ('state.put', 'state.delete')),
    state_key       text        NOT NULL,
    sequence_number bigint      NOT NULL CHECK (sequence_number >= 1),
    payload         jsonb       NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- Dense and unique per account: 1, 2, 3, ... (also the index for after=N).
    UNIQUE (account_id, sequence_number)
);

-- The account key wrapped under Argon2id(recovery passphrase). The server
-- cannot unwrap it: it never sees the passphrase.
CREATE TABLE account_keys (
    account_id   uuid        PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    kdf_salt     bytea       NOT NULL,
    kdf_opslimit bigint      NOT NULL CHECK (kdf_opslimit > 0),
    kdf_memlimit bigint      NOT NULL CHECK (kdf_memlimit > 0),
    nonce        bytea       NOT NULL,
    wrapped_key  bytea       NOT NULL,
    key_version  integer     NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
