-- 018_escalations.sql: the monthly three-colour warning's escalations
-- (issue 14 item 4, README "Monthly warning"). xf-dispatch closes each
-- calendar month (CST) once it has ended by its clock: the instance whose
-- row in month_closed is new computes the month's colours (domain/month.c,
-- from board_days_all) and records each escalation here, with the message
-- it publishes in the outbox of the same transaction. The keys make both
-- happen once, across restarts and instances.
CREATE TABLE month_closed (
    month     date PRIMARY KEY, -- the month's first day
    closed_at timestamptz NOT NULL DEFAULT now()
);

-- One row per month, subject and level: kind 'area' (a township, 9
-- digits) or 'department' (its code); level 1 (yellow or worse two months
-- in a row: 分管副市长约谈), 2 (red three months in a row: 市委书记约谈).
CREATE TABLE month_escalations (
    month      date NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('area', 'department')),
    subject    text NOT NULL,
    level      smallint NOT NULL CHECK (level IN (1, 2)),
    bureau     text,           -- the department told (its assignments topic), if any
    body       text NOT NULL,  -- the xf.escalation.v1 message as published
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (month, kind, subject, level)
);
