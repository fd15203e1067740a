-- 009: every dead letter kept whole in PostgreSQL (issue 10, items 3 and 5).
--
-- petition.dlq carries a bounded copy (common/dlq.h): a prefix of the
-- original and headers giving its size and SHA-256. The whole original,
-- its key and its headers are kept here, one row per daemon and source
-- position, so a redelivered message is stored once. Originals hold
-- personal data (petitioners' names, phones, id numbers, petition text):
-- this table is the place for it, and it is never logged or listed.
-- `xfctl dlq list` reads the other columns; `xfctl dlq replay` produces
-- original, key and headers to source_topic again and sets replayed_at.
CREATE TABLE dead_letters (
    id               bigserial PRIMARY KEY,
    service          text NOT NULL,        -- the daemon: xf-intake, ...
    source_topic     text NOT NULL,
    source_partition integer NOT NULL,
    source_offset    bigint NOT NULL,
    key              bytea,                -- NULL: the message had none
    headers          jsonb,                -- [[name, base64 value], ...] or NULL
    reason           text NOT NULL,        -- xf-error-code
    error            text NOT NULL,        -- xf-error
    original         bytea NOT NULL,
    size             bigint NOT NULL,      -- octet_length(original)
    sha256           text NOT NULL,        -- lower-case hex of original
    created_at       timestamptz NOT NULL DEFAULT now(),
    replayed_at      timestamptz,          -- last replay; NULL: never replayed
    replays          integer NOT NULL DEFAULT 0,
    UNIQUE (service, source_topic, source_partition, source_offset)
);
CREATE INDEX dead_letters_created ON dead_letters (created_at);
CREATE INDEX dead_letters_reason ON dead_letters (reason, created_at);
