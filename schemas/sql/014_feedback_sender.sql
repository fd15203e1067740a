-- 014_feedback_sender.sql: a feedback_id is unique per sender (issue 12).
--
-- xf-dispatch now knows who sent a department.feedback message (its
-- signature, services/dispatch/sender.h). Keyed by feedback_id alone, one
-- department could take another's next feedback_id first and have the
-- real message ignored as a duplicate; keyed by (sender, feedback_id) it
-- cannot. Rows from before were believed as written: their sender is the
-- department they named. xf_dispatch_load and xf_dispatch_write (007) keep
-- their work, renamed *_007, for everything but the feedback, which the new
-- ones read and write with its sender.

ALTER TABLE feedback ADD COLUMN sender text NOT NULL DEFAULT '';
UPDATE feedback SET sender = coalesce(department, '');
ALTER TABLE feedback DROP CONSTRAINT feedback_pkey;
ALTER TABLE feedback ADD PRIMARY KEY (sender, feedback_id);
ALTER TABLE feedback ALTER COLUMN sender DROP DEFAULT;

ALTER FUNCTION xf_dispatch_load(jsonb) RENAME TO xf_dispatch_load_007;
ALTER FUNCTION xf_dispatch_write(jsonb) RENAME TO xf_dispatch_write_007;

-- As xf_dispatch_load_007, with p's "feedback" a list of {sender, feedback_id}.
CREATE FUNCTION xf_dispatch_load(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RETURN xf_dispatch_load_007(p - 'feedback') || jsonb_build_object(
        'feedback', coalesce((SELECT jsonb_agg(f) FROM (
            SELECT f.sender, f.feedback_id, f.src_topic, f.src_partition, f.src_offset,
                   f.outputs
            FROM feedback f
            JOIN jsonb_to_recordset(coalesce(p->'feedback', '[]'))
                 AS w(sender text, feedback_id text)
              ON f.sender = w.sender AND f.feedback_id = w.feedback_id
            ) f), '[]'));
END $$;

-- As xf_dispatch_write_007, with each feedback row's sender.
CREATE FUNCTION xf_dispatch_write(p jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM xf_dispatch_write_007(p - 'feedback');
    INSERT INTO feedback (sender, feedback_id, case_id, department, action, outcome, reason,
                          body, src_topic, src_partition, src_offset, outputs)
    SELECT r.sender, r.feedback_id, r.case_id, r.department, r.action, r.outcome, r.reason,
           r.body, r.src_topic, r.src_partition, r.src_offset, r.outputs
    FROM jsonb_to_recordset(coalesce(p->'feedback', '[]')) AS r(
        sender text, feedback_id text, case_id text, department text, action text,
        outcome text, reason text, body text, src_topic text, src_partition integer,
        src_offset bigint, outputs text);
END $$;
