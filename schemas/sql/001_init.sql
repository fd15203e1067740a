-- 001: the spine. Dedup keys and case ids (xf-intake), petitioner and
-- cluster state (xf-classify), rules, cases, assignments and the audit
-- chain (xf-dispatch).

-- xf-intake: one row per (source.system, external_id); the source position
-- of the first acceptance tells a redelivery (same position: publish again)
-- from a duplicate (another position: a 'duplicate' receipt).
CREATE TABLE intake_keys (
    source_system text NOT NULL,
    external_id   text NOT NULL,
    case_id       text NOT NULL UNIQUE,
    src_topic     text NOT NULL,
    src_partition integer NOT NULL,
    src_offset    bigint NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_system, external_id)
);

-- Case id sequence per county and CST day: XF-<county>-<yyyymmdd>-<seq>.
CREATE TABLE case_seq (
    county text NOT NULL,
    day    text NOT NULL,
    last   integer NOT NULL,
    PRIMARY KEY (county, day)
);

-- xf-classify: cases by keyed hash of the petitioner (never the raw id).
CREATE TABLE petitioner_cases (
    id         bigserial PRIMARY KEY,
    pkey       text NOT NULL,
    case_id    text NOT NULL UNIQUE,
    category   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX petitioner_cases_by_key ON petitioner_cases (pkey, category, id);

-- xf-classify: similar petitions from one area (region prefix, category).
CREATE TABLE cluster_members (
    case_id     text PRIMARY KEY,
    cluster_key text NOT NULL,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX cluster_members_key ON cluster_members (cluster_key, occurred_at);

-- Rules: every imported rule set is kept; one is active.
CREATE TABLE rule_sets (
    version     text PRIMARY KEY,
    body        text NOT NULL,
    sha256      text NOT NULL,
    active      boolean NOT NULL DEFAULT false,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX rule_sets_one_active ON rule_sets (active) WHERE active;

CREATE TABLE departments (
    code     text PRIMARY KEY,
    name     text NOT NULL,
    region   text NOT NULL,
    level    text NOT NULL,
    kind     text NOT NULL,
    capacity integer NOT NULL DEFAULT 0,
    webhook  text
);

-- xf-dispatch: one row per case, one per assignment, the audit chain.
CREATE TABLE cases (
    case_id       text PRIMARY KEY,
    source_system text NOT NULL,
    external_id   text NOT NULL,
    region_code   text NOT NULL,
    category      text NOT NULL,
    risk          text NOT NULL,
    state         text NOT NULL,
    department    text NOT NULL,
    rule_id       text,
    rule_version  text NOT NULL,
    accept_by     timestamptz NOT NULL,
    resolve_by    timestamptz NOT NULL,
    petition      jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_department ON cases (department, state);

CREATE TABLE assignments (
    assignment_id text PRIMARY KEY,
    case_id       text NOT NULL REFERENCES cases,
    attempt       integer NOT NULL,
    department    text NOT NULL,
    role          text NOT NULL,
    body          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, attempt, department)
);

-- body is the exact canonical JSON that was hashed (keys sorted, compact,
-- without "hash", with "prev_hash"): hash = sha256(body); prev_hash of
-- seq 1 is 64 zeros (common/chain.h).
CREATE TABLE case_events (
    case_id   text NOT NULL REFERENCES cases,
    seq       integer NOT NULL,
    type      text NOT NULL,
    at        timestamptz NOT NULL,
    body      text NOT NULL,
    prev_hash text NOT NULL,
    hash      text NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- xf-intake's one round trip per event: the case id of (system, external_id),
-- allocating one if new. status: 'new', 'redelivery' (the same source
-- position as the first time: publish the outputs again) or 'duplicate'.
CREATE FUNCTION xf_intake_key(p_system text, p_external_id text, p_county text,
                              p_day text, p_topic text, p_partition integer,
                              p_offset bigint,
                              OUT case_id text, OUT status text, OUT received_at text)
LANGUAGE plpgsql AS $$
DECLARE
    k intake_keys%ROWTYPE;
    seq integer;
BEGIN
    FOR attempt IN 1..2 LOOP
        SELECT * INTO k FROM intake_keys
         WHERE source_system = p_system AND external_id = p_external_id;
        IF FOUND THEN
            case_id := k.case_id;
            status := CASE WHEN k.src_topic = p_topic AND k.src_partition = p_partition
                                AND k.src_offset = p_offset
                           THEN 'redelivery' ELSE 'duplicate' END;
            received_at := to_char(k.received_at AT TIME ZONE 'UTC' + interval '8 hours',
                                   'YYYY-MM-DD"T"HH24:MI:SS"+08:00"');
            RETURN;
        END IF;
        INSERT INTO case_seq AS s (county, day, last) VALUES (p_county, p_day, 1)
        ON CONFLICT (county, day) DO UPDATE SET last = s.last + 1
        RETURNING s.last INTO seq;
        case_id := format('XF-%s-%s-%s', p_county, p_day, lpad(seq::text, 6, '0'));
        INSERT INTO intake_keys (source_system, external_id, case_id, src_topic,
                                 src_partition, src_offset)
        VALUES (p_system, p_external_id, case_id, p_topic, p_partition, p_offset)
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            status := 'new';
            received_at := to_char(now() AT TIME ZONE 'UTC' + interval '8 hours',
                                   'YYYY-MM-DD"T"HH24:MI:SS"+08:00"');
            RETURN;
        END IF;
        -- another instance inserted the key meanwhile: read it on the next pass
    END LOOP;
    RAISE EXCEPTION 'intake key (%, %) neither found nor inserted', p_system, p_external_id;
END $$;

-- xf-classify's one round trip per petition: records it (idempotently) and
-- returns the same petitioner's earlier cases of the same category (条例
-- 第十九条) and the size and first day of its area cluster over 72 hours.
CREATE FUNCTION xf_classify_state(p_pkey text, p_case_id text, p_category text,
                                  p_cluster_key text, p_occurred_at timestamptz,
                                  OUT repeat_count integer, OUT related text,
                                  OUT cluster_size integer, OUT cluster_day text)
LANGUAGE plpgsql AS $$
DECLARE
    my_id bigint;
BEGIN
    repeat_count := 0;
    IF p_pkey IS NOT NULL THEN
        INSERT INTO petitioner_cases (pkey, case_id, category)
        VALUES (p_pkey, p_case_id, p_category)
        ON CONFLICT (case_id) DO NOTHING;
        SELECT id INTO my_id FROM petitioner_cases WHERE case_id = p_case_id;
        SELECT count(*), string_agg(pc.case_id, ',' ORDER BY pc.id)
          INTO repeat_count, related
          FROM petitioner_cases pc
         WHERE pc.pkey = p_pkey AND pc.category = p_category AND pc.id < my_id;
    END IF;
    INSERT INTO cluster_members (case_id, cluster_key, occurred_at)
    VALUES (p_case_id, p_cluster_key, p_occurred_at)
    ON CONFLICT (case_id) DO NOTHING;
    SELECT count(*), to_char(min(cm.occurred_at) AT TIME ZONE 'UTC' + interval '8 hours', 'YYYYMMDD')
      INTO cluster_size, cluster_day
      FROM cluster_members cm
     WHERE cm.cluster_key = p_cluster_key
       AND cm.occurred_at BETWEEN p_occurred_at - interval '72 hours' AND p_occurred_at;
END $$;
