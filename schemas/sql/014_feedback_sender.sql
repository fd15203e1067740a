-- 014_feedback_sender.sql: a feedback_id is unique per sender (issue 12).
--
-- xf-dispatch now knows who sent a department.feedback message (its
-- signature, services/dispatch/sender.h). Keyed by feedback_id alone, one
-- department could take another's next feedback_id first and have the
-- real message ignored as a duplicate; keyed by (sender, feedback_id) it
-- cannot. Rows from before were believed as written: their sender is the
-- department they named. xf_dispatch_load and xf_dispatch_write (007) are
-- replaced to read and write the sender; nothing else in them changes.

ALTER TABLE feedback ADD COLUMN sender text NOT NULL DEFAULT '';
UPDATE feedback SET sender = coalesce(department, '');
ALTER TABLE feedback DROP CONSTRAINT feedback_pkey;
ALTER TABLE feedback ADD PRIMARY KEY (sender, feedback_id);
ALTER TABLE feedback ALTER COLUMN sender DROP DEFAULT;

-- What a batch of xf-dispatch needs to read, in one round trip. p:
--   {"replay": [case_id...]}     petitions: the stored first decision, if any
--   {"feedback": [{sender, feedback_id}...]} feedback recorded before
--   {"cases": [case_id...]}      cases feedback works on: locked in case_id
--                                order, with their chain head and the
--                                co-handlers of their current attempt
-- Returns {"replay": [...], "feedback": [...], "cases": [...], "co": [...]}.
CREATE OR REPLACE FUNCTION xf_dispatch_load(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    ids text[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(p->'cases', '[]')));
    rids text[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(p->'replay', '[]')));
    out jsonb;
BEGIN
    PERFORM 1 FROM cases WHERE case_id = ANY(ids) ORDER BY case_id FOR UPDATE;
    SELECT jsonb_build_object(
        'replay', coalesce((SELECT jsonb_agg(r ORDER BY r.case_id, r.seq, r.topic) FROM (
            SELECT a.case_id, 'assignments.' || a.department AS topic, a.body,
                   NULL::text AS hash, 0 AS seq
            FROM assignments a
            WHERE a.case_id = ANY(rids)
              AND a.attempt = 1
            UNION ALL
            SELECT e.case_id, 'case.events', e.body, e.hash, e.seq
            FROM case_events e
            WHERE e.case_id = ANY(rids)
              AND e.seq <= 3) r), '[]'),
        'feedback', coalesce((SELECT jsonb_agg(f) FROM (
            SELECT f.sender, f.feedback_id, f.src_topic, f.src_partition, f.src_offset,
                   f.outputs
            FROM feedback f
            JOIN jsonb_to_recordset(coalesce(p->'feedback', '[]'))
                 AS w(sender text, feedback_id text)
              ON f.sender = w.sender AND f.feedback_id = w.feedback_id
            ) f), '[]'),
        'cases', coalesce((SELECT jsonb_agg(c ORDER BY c.case_id) FROM (
            SELECT k.case_id, k.state, k.department, k.category, k.region_code, k.attempt,
                   k.deadline_days, k.extended_days, k.reopened, k.clock_stage,
                   extract(epoch FROM k.assigned_at)::bigint AS assigned_at,
                   extract(epoch FROM k.accepted_at)::bigint AS accepted_at,
                   extract(epoch FROM k.resolved_at)::bigint AS resolved_at,
                   extract(epoch FROM k.accept_by)::bigint AS accept_by,
                   extract(epoch FROM k.resolve_by)::bigint AS resolve_by,
                   extract(epoch FROM coalesce(k.clock_start, k.created_at))::bigint
                       AS clock_start,
                   extract(epoch FROM k.clock_start)::bigint AS clock_start_set,
                   array_to_json(k.returned_by) AS returned_by,
                   k.petition::text AS petition, coalesce(k.satisfaction, '') AS satisfaction,
                   coalesce(h.seq, 0) AS last_seq, h.hash AS last_hash
            FROM cases k
            LEFT JOIN LATERAL (SELECT e.seq, e.hash FROM case_events e
                               WHERE e.case_id = k.case_id
                               ORDER BY e.seq DESC LIMIT 1) h ON true
            WHERE k.case_id = ANY(ids)) c), '[]'),
        'co', coalesce((SELECT jsonb_agg(a) FROM (
            SELECT a.case_id, a.attempt, a.department
            FROM assignments a JOIN cases k ON k.case_id = a.case_id
                 AND a.attempt = k.attempt
            WHERE k.case_id = ANY(ids) AND a.role = 'co') a), '[]'))
    INTO out;
    RETURN out;
END $$;

-- Everything a batch (or a timer round) of xf-dispatch decided, in one
-- statement. p holds arrays of rows, each applied set-based in array
-- order: new_cases, case_updates, clocks, assignments, events, feedback,
-- stats (increments), webhooks, outbox; and open_departments, the
-- departments whose open count the cases' changes touch. A new case that exists already
-- was decided meanwhile by another instance: the whole batch fails
-- (SQLSTATE 40001) and its retry finds the case and replays it.
CREATE OR REPLACE FUNCTION xf_dispatch_write(p jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
    open_depts text[] := ARRAY(SELECT jsonb_array_elements_text(
                                   coalesce(p->'open_departments', '[]')) ORDER BY 1);
BEGIN
    -- The open counts this write changes (through the triggers on cases)
    -- are locked first, in one order: two dispatchers writing at once wait
    -- for each other at most, never in a cycle.
    INSERT INTO dept_open (department) SELECT unnest(open_depts) ORDER BY 1
    ON CONFLICT (department) DO NOTHING;
    PERFORM 1 FROM dept_open WHERE department = ANY(open_depts)
    ORDER BY department FOR UPDATE;

    INSERT INTO cases (case_id, source_system, external_id, region_code, category, risk,
                       department, rule_id, rule_version, accept_by, resolve_by, petition,
                       state, assigned_at, clock_start, deadline_days, due_at)
    SELECT r.case_id, coalesce(r.source_system, ''), coalesce(r.external_id, ''),
           r.region_code, r.category, r.risk, r.department, r.rule_id, r.rule_version,
           to_timestamp(r.accept_by), to_timestamp(r.resolve_by), r.petition::jsonb,
           r.state, to_timestamp(r.assigned_at), to_timestamp(r.assigned_at),
           r.deadline_days, to_timestamp(r.due_at)
    FROM jsonb_to_recordset(coalesce(p->'new_cases', '[]')) AS r(
        case_id text, source_system text, external_id text, region_code text,
        category text, risk text, department text, rule_id text, rule_version text,
        accept_by bigint, resolve_by bigint, petition text, state text,
        assigned_at bigint, deadline_days integer, due_at bigint)
    ORDER BY r.case_id
    ON CONFLICT (case_id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> jsonb_array_length(coalesce(p->'new_cases', '[]')) THEN
        RAISE EXCEPTION 'a case of this batch was decided meanwhile by another instance'
            USING ERRCODE = '40001';
    END IF;

    UPDATE cases k SET state = r.state, department = r.department, attempt = r.attempt,
        assigned_at = to_timestamp(r.assigned_at), accepted_at = to_timestamp(r.accepted_at),
        resolved_at = to_timestamp(r.resolved_at), resolve_by = to_timestamp(r.resolve_by),
        extended_days = r.extended_days,
        returned_by = ARRAY(SELECT jsonb_array_elements_text(r.returned_by)),
        reopened = r.reopened, satisfaction = r.satisfaction, clock_stage = r.clock_stage,
        due_at = to_timestamp(r.due_at), clock_start = to_timestamp(r.clock_start),
        updated_at = to_timestamp(r.updated_at)
    FROM jsonb_to_recordset(coalesce(p->'case_updates', '[]')) AS r(
        case_id text, state text, department text, attempt integer, assigned_at bigint,
        accepted_at bigint, resolved_at bigint, resolve_by bigint, extended_days integer,
        returned_by jsonb, reopened integer, satisfaction text, clock_stage integer,
        due_at bigint, clock_start bigint, updated_at bigint)
    WHERE k.case_id = r.case_id;

    UPDATE cases k SET clock_stage = r.clock_stage, due_at = to_timestamp(r.due_at)
    FROM jsonb_to_recordset(coalesce(p->'clocks', '[]')) AS r(
        case_id text, clock_stage integer, due_at bigint)
    WHERE k.case_id = r.case_id;

    INSERT INTO assignments (assignment_id, case_id, attempt, department, role, body)
    SELECT r.assignment_id, r.case_id, r.attempt, r.department, r.role, r.body
    FROM jsonb_to_recordset(coalesce(p->'assignments', '[]')) AS r(
        assignment_id text, case_id text, attempt integer, department text, role text,
        body text);

    INSERT INTO case_events (case_id, seq, type, at, body, prev_hash, hash)
    SELECT r.case_id, r.seq, r.type, r.at::timestamptz, r.body, r.prev_hash, r.hash
    FROM jsonb_to_recordset(coalesce(p->'events', '[]')) AS r(
        case_id text, seq integer, type text, at text, body text, prev_hash text,
        hash text);

    INSERT INTO feedback (sender, feedback_id, case_id, department, action, outcome, reason,
                          body, src_topic, src_partition, src_offset, outputs)
    SELECT r.sender, r.feedback_id, r.case_id, r.department, r.action, r.outcome, r.reason,
           r.body, r.src_topic, r.src_partition, r.src_offset, r.outputs
    FROM jsonb_to_recordset(coalesce(p->'feedback', '[]')) AS r(
        sender text, feedback_id text, case_id text, department text, action text,
        outcome text, reason text, body text, src_topic text, src_partition integer,
        src_offset bigint, outputs text);

    INSERT INTO dept_stats AS s (department, category, assigned, accepted, returned,
                                 resolved, rated, satisfied, dissatisfied, overdue,
                                 accept_hist)
    SELECT r.department, r.category, r.assigned, r.accepted, r.returned, r.resolved,
           r.rated, r.satisfied, r.dissatisfied, r.overdue,
           ARRAY(SELECT jsonb_array_elements_text(r.hist)::integer)
    FROM jsonb_to_recordset(coalesce(p->'stats', '[]')) AS r(
        department text, category text, assigned integer, accepted integer,
        returned integer, resolved integer, rated integer, satisfied integer,
        dissatisfied integer, overdue integer, hist jsonb)
    ORDER BY r.department, r.category
    ON CONFLICT (department, category) DO UPDATE SET
        assigned = s.assigned + excluded.assigned, accepted = s.accepted + excluded.accepted,
        returned = s.returned + excluded.returned, resolved = s.resolved + excluded.resolved,
        rated = s.rated + excluded.rated, satisfied = s.satisfied + excluded.satisfied,
        dissatisfied = s.dissatisfied + excluded.dissatisfied,
        overdue = s.overdue + excluded.overdue,
        accept_hist = xf_int_array_add(s.accept_hist, excluded.accept_hist);

    INSERT INTO webhook_deliveries (case_id, department, url, kind, body)
    SELECT r.case_id, r.department, r.url, r.kind, r.body
    FROM jsonb_to_recordset(coalesce(p->'webhooks', '[]')) AS r(
        case_id text, department text, url text, kind text, body text);

    INSERT INTO outbox (topic, key, value)
    SELECT r.topic, r.key, r.value
    FROM jsonb_to_recordset(coalesce(p->'outbox', '[]')) AS r(
        topic text, key text, value text);
END $$;
