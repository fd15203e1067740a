-- 012: the figures xf-dispatch's gauges and scorecard show (cases by
-- department and state, overdue, repeats, satisfaction, returns), kept by
-- statement triggers on cases instead of counted over every case each time
-- they are shown: with a year of history (1,000,000 cases) the counts took
-- 2.4 s of the server every 10 s, growing with history (issue 9).
--
-- A statement's changes are appended to case_count_deltas (no row is
-- updated, so two dispatchers writing at once never wait for each other
-- there), and folded into case_counts by xf_case_counts_fold() (the gauges
-- do it every 10 s). case_counts_now is the sum of both: always current.
-- Rows with state '' count returns (cases.returned_by) per department.
CREATE TABLE case_counts (
    department text NOT NULL,
    state      text NOT NULL,
    cases      bigint NOT NULL DEFAULT 0,
    late       bigint NOT NULL DEFAULT 0,  -- clock_stage >= 2 (past a deadline)
    repeats    bigint NOT NULL DEFAULT 0,  -- classification.repeat.count > 0
    rated      bigint NOT NULL DEFAULT 0,  -- satisfaction given
    satisfied  bigint NOT NULL DEFAULT 0,  -- satisfaction = 'satisfied'
    returns    bigint NOT NULL DEFAULT 0,  -- (state '') times it returned a case
    PRIMARY KEY (department, state)
);

CREATE TABLE case_count_deltas (LIKE case_counts INCLUDING DEFAULTS);

CREATE VIEW case_counts_now AS
SELECT department, state, sum(cases) AS cases, sum(late) AS late,
       sum(repeats) AS repeats, sum(rated) AS rated, sum(satisfied) AS satisfied,
       sum(returns) AS returns
FROM (SELECT * FROM case_counts UNION ALL SELECT * FROM case_count_deltas) x
GROUP BY 1, 2;

-- Appends what one statement changed: each row after it counts +1, each
-- row before it -1 (transition tables new_rows and old_rows, where they exist).
CREATE FUNCTION xf_case_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cols constant text := ' department, state, (clock_stage >= 2)::int AS late,'
        ' (petition @? ''$.classification.repeat.count ? (@ > 0)'')::int AS rep,'
        ' (satisfaction IS NOT NULL)::int AS rated,'
        ' (satisfaction IS NOT DISTINCT FROM ''satisfied'')::int AS sat, returned_by';
    src text;
BEGIN
    src := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS s,' || cols || ' FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT -1 AS s,' || cols || ' FROM old_rows'
        ELSE 'SELECT 1 AS s,' || cols || ' FROM new_rows UNION ALL '
             'SELECT -1 AS s,' || cols || ' FROM old_rows' END;
    EXECUTE format($q$
        WITH x AS (%s)
        INSERT INTO case_count_deltas (department, state, cases, late, repeats, rated,
                                       satisfied, returns)
        SELECT department, state, sum(s), sum(s * late), sum(s * rep), sum(s * rated),
               sum(s * sat), 0
        FROM x GROUP BY 1, 2
        HAVING sum(s) <> 0 OR sum(s * late) <> 0 OR sum(s * rep) <> 0
            OR sum(s * rated) <> 0 OR sum(s * sat) <> 0
        UNION ALL
        SELECT r.department, '', 0, 0, 0, 0, 0, sum(x.s)
        FROM x, unnest(x.returned_by) AS r(department)
        GROUP BY 1 HAVING sum(x.s) <> 0
    $q$, src);
    RETURN NULL;
END $$;

CREATE TRIGGER cases_counts_ins AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xf_case_counts_apply();
CREATE TRIGGER cases_counts_upd AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xf_case_counts_apply();
CREATE TRIGGER cases_counts_del AFTER DELETE ON cases REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xf_case_counts_apply();

-- Moves the deltas into case_counts. Two instances folding at once each
-- take what the other did not (a row deleted meanwhile is skipped), and
-- update case_counts in one order.
CREATE FUNCTION xf_case_counts_fold() RETURNS void LANGUAGE sql AS $$
    WITH d AS (DELETE FROM case_count_deltas RETURNING *)
    INSERT INTO case_counts AS c (department, state, cases, late, repeats, rated,
                                  satisfied, returns)
    SELECT department, state, sum(cases), sum(late), sum(repeats), sum(rated),
           sum(satisfied), sum(returns)
    FROM d GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (department, state) DO UPDATE SET cases = c.cases + excluded.cases,
        late = c.late + excluded.late, repeats = c.repeats + excluded.repeats,
        rated = c.rated + excluded.rated, satisfied = c.satisfied + excluded.satisfied,
        returns = c.returns + excluded.returns
$$;

-- The cases there are already.
INSERT INTO case_counts (department, state, cases, late, repeats, rated, satisfied)
SELECT department, state, count(*), count(*) FILTER (WHERE clock_stage >= 2),
       count(*) FILTER (WHERE petition @? '$.classification.repeat.count ? (@ > 0)'),
       count(satisfaction), count(*) FILTER (WHERE satisfaction = 'satisfied')
FROM cases GROUP BY 1, 2;
INSERT INTO case_counts (department, state, returns)
SELECT r.department, '', count(*) FROM cases, unnest(returned_by) AS r(department)
GROUP BY 1;
