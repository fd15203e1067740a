-- 015_followups.sql: 回访 follow-ups (issue 13, README "Follow-ups").
--
-- Once a case is resolved its clock (cases.due_at, clock_stage) runs to
-- each follow-up's due time (XF_FOLLOWUPS, after the answer); cases.followups
-- holds those done in this round ({kind: {at, satisfaction, channel}}),
-- emptied when the case is resolved again. A follow-up missed is counted
-- in dept_stats.followup_overdue.
--
-- xf_dispatch_load and xf_dispatch_write (014) keep their work, renamed
-- *_014; the new ones add the cases' followups and the new counter.

ALTER TABLE cases ADD COLUMN followups jsonb;
ALTER TABLE dept_stats ADD COLUMN followup_overdue integer NOT NULL DEFAULT 0;

ALTER FUNCTION xf_dispatch_load(jsonb) RENAME TO xf_dispatch_load_014;
ALTER FUNCTION xf_dispatch_write(jsonb) RENAME TO xf_dispatch_write_014;

-- As xf_dispatch_load_014, each case row with its followups.
CREATE FUNCTION xf_dispatch_load(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    out jsonb := xf_dispatch_load_014(p);
BEGIN
    RETURN out || jsonb_build_object('cases', coalesce((
        SELECT jsonb_agg(c.row || jsonb_build_object('followups', k.followups)
                         ORDER BY c.i)
        FROM jsonb_array_elements(out->'cases') WITH ORDINALITY AS c(row, i)
        JOIN cases k ON k.case_id = c.row->>'case_id'), '[]'));
END $$;

-- As xf_dispatch_write_014; then the followups of the case_updates rows that
-- carry them, and the followup_overdue increments of the stats rows.
CREATE FUNCTION xf_dispatch_write(p jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM xf_dispatch_write_014(p);
    UPDATE cases k SET followups = r.followups
    FROM jsonb_to_recordset(coalesce(p->'case_updates', '[]')) AS r(
        case_id text, followups jsonb)
    WHERE k.case_id = r.case_id AND r.followups IS NOT NULL;
    UPDATE dept_stats s SET followup_overdue = s.followup_overdue + r.followup_overdue
    FROM jsonb_to_recordset(coalesce(p->'stats', '[]')) AS r(
        department text, category text, followup_overdue integer)
    WHERE s.department = r.department AND s.category = r.category
      AND r.followup_overdue <> 0;
END $$;
