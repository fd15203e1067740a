-- 004: the case lifecycle (issue 4): department feedback and the state
-- machine, returns (退单) and re-dispatch, working-day calendar, deadline
-- timer, department statistics, webhooks.

-- The case as the state machine sees it. state: assigned, accepted,
-- resolved, rated (closed); a reopened case is accepted again.
ALTER TABLE cases
    ADD COLUMN attempt       integer NOT NULL DEFAULT 1,
    ADD COLUMN assigned_at   timestamptz,          -- of the current assignment
    ADD COLUMN accepted_at   timestamptz,
    ADD COLUMN resolved_at   timestamptz,
    ADD COLUMN deadline_days integer NOT NULL DEFAULT 60,
    ADD COLUMN extended_days integer NOT NULL DEFAULT 0,  -- 0: never extended
    ADD COLUMN returned_by   text[] NOT NULL DEFAULT '{}',
    ADD COLUMN reopened      integer NOT NULL DEFAULT 0,
    ADD COLUMN satisfaction  text,
    -- the deadline timer: the stage reached on the current deadline
    -- (0 none, 1 warned, 2 overdue, 3 supervised) and when to look next
    ADD COLUMN clock_stage   integer NOT NULL DEFAULT 0,
    ADD COLUMN due_at        timestamptz,
    ADD COLUMN clock_start   timestamptz;           -- when the current deadline's time began
UPDATE cases SET assigned_at = created_at, clock_start = created_at WHERE assigned_at IS NULL;
CREATE INDEX cases_due ON cases (due_at) WHERE due_at IS NOT NULL;

-- Working days: the State Council's yearly notice, one row per day it
-- changes (a holiday on a weekday, or a weekend day made a working day,
-- 调休); other days follow the week. A year without a row in
-- calendar_years falls back to weekends only.
CREATE TABLE calendar_years (
    year        integer PRIMARY KEY,
    source      text NOT NULL,
    body        text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE calendar_days (
    day     date PRIMARY KEY,
    workday boolean NOT NULL,
    name    text,
    year    integer NOT NULL REFERENCES calendar_years ON DELETE CASCADE
);

-- Every department.feedback message, once (feedback_id). The source
-- position tells a redelivery (publish the stored outputs again) from a
-- second message with the same id (ignored). outputs: the messages it
-- produced, [{"topic", "key", "value"}].
CREATE TABLE feedback (
    feedback_id   text PRIMARY KEY,
    case_id       text,
    department    text,
    action        text,
    outcome       text NOT NULL,      -- applied | refused
    reason        text,
    body          text NOT NULL,
    src_topic     text NOT NULL,
    src_partition integer NOT NULL,
    src_offset    bigint NOT NULL,
    outputs       text NOT NULL DEFAULT '[]',
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_by_case ON feedback (case_id, received_at);

-- Messages written in a transaction with no input message to replay them
-- (the deadline timer): published after the commit, deleted once the
-- broker has them; whatever a crash leaves is published at the next start.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    topic      text NOT NULL,
    key        text NOT NULL,
    value      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Per department and category, kept current from feedback, for choosing
-- among candidates and for the scorecard. accept_hist[i]: accepts that took
-- less than 2^i hours (i = 0..11; the last bucket takes the rest).
CREATE TABLE dept_stats (
    department   text NOT NULL,
    category     text NOT NULL,
    assigned     integer NOT NULL DEFAULT 0,
    accepted     integer NOT NULL DEFAULT 0,
    returned     integer NOT NULL DEFAULT 0,
    resolved     integer NOT NULL DEFAULT 0,
    rated        integer NOT NULL DEFAULT 0,
    satisfied    integer NOT NULL DEFAULT 0,
    dissatisfied integer NOT NULL DEFAULT 0,
    overdue      integer NOT NULL DEFAULT 0,
    accept_hist  integer[] NOT NULL DEFAULT array_fill(0, ARRAY[12]),
    PRIMARY KEY (department, category)
);

-- Webhook deliveries: one row per message for a department with a webhook,
-- written in the transaction that made the message; a delivery thread
-- POSTs them, retrying with back-off. state: pending, delivered, failed.
CREATE TABLE webhook_deliveries (
    id           bigserial PRIMARY KEY,
    case_id      text NOT NULL,
    department   text NOT NULL,
    url          text NOT NULL,
    kind         text NOT NULL,       -- assignment, or the case event type
    body         text NOT NULL,
    state        text NOT NULL DEFAULT 'pending',
    attempts     integer NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL DEFAULT now(),
    last_status  integer,             -- HTTP status of the last attempt
    last_error   text,
    delivered_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_case ON webhook_deliveries (case_id, id);

-- Hot rules: when each rule set became active, so that xfctl rules rollback
-- can return to the one before (a rolled-back set loses its activated_at).
ALTER TABLE rule_sets ADD COLUMN activated_at timestamptz;
UPDATE rule_sets SET activated_at = imported_at;
