-- 017_board.sql: the situation board's figures (issue 14, README "The
-- situation board"), kept current per batch instead of counted over the
-- cases for each request.
--
-- board_days: per CST day, township (the first 9 digits of the region
-- code; a 6-digit code stays a county), department, category and risk:
--   petitions, repeats, collective  cases made, by the day the citizen
--                                  petitioned (the petition's occurred_at)
--   assigned                       assignments and reassignments
--   returned                       returns (退单), to the returning department
--   overdue                        deadlines missed (to accept, to resolve,
--                                  follow-ups), as the scorecard counts them
--   resolved, resolved_late        answers, and of them those after the
--                                  case's resolve_by then (extensions count):
--                                  the event's data.late, or for answers
--                                  recorded before it had one, the
--                                  resolve_by of the case's last step before
--   rated, satisfied, dissatisfied ratings and what they said
-- the lifecycle counts by the day the step happened (its chain event's at).
-- board_hours: cases made per CST day, hour, township and category (the
-- tide table).
--
-- As case_counts (012), statement triggers append to *_deltas (no row is
-- updated: two dispatchers never wait for each other there) and
-- xf_board_fold(), run with the gauges every 10 s, moves them into the
-- tables; board_days_all and board_hours_all are both, always current.
CREATE TABLE board_days (
    day          date NOT NULL,
    region       text NOT NULL,
    department   text NOT NULL,
    category     text NOT NULL,
    risk         text NOT NULL,
    petitions    bigint NOT NULL DEFAULT 0,
    repeats      bigint NOT NULL DEFAULT 0,
    collective   bigint NOT NULL DEFAULT 0,
    assigned     bigint NOT NULL DEFAULT 0,
    returned     bigint NOT NULL DEFAULT 0,
    overdue      bigint NOT NULL DEFAULT 0,
    resolved     bigint NOT NULL DEFAULT 0,
    resolved_late bigint NOT NULL DEFAULT 0,
    rated        bigint NOT NULL DEFAULT 0,
    satisfied    bigint NOT NULL DEFAULT 0,
    dissatisfied bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, region, department, category, risk)
);
CREATE TABLE board_day_deltas (LIKE board_days INCLUDING DEFAULTS);

CREATE TABLE board_hours (
    day       date NOT NULL,
    hour      smallint NOT NULL,
    region    text NOT NULL,
    category  text NOT NULL,
    petitions bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, hour, region, category)
);
CREATE TABLE board_hour_deltas (LIKE board_hours INCLUDING DEFAULTS);

CREATE VIEW board_days_all AS
SELECT * FROM board_days UNION ALL SELECT * FROM board_day_deltas;
CREATE VIEW board_hours_all AS
SELECT * FROM board_hours UNION ALL SELECT * FROM board_hour_deltas;

-- The rising hotspots' phrases: a township's and category's latest cases.
CREATE INDEX cases_region_recent ON cases (left(region_code, 9), category, created_at);

-- The statements that count the cases of src (a table: the transition
-- table new_rows in the trigger, cases for the history), by the day and hour
-- the citizen petitioned. occurred_at was read by xf-intake as timestamptz
-- reads it (common/util.h), so the cast cannot fail.
CREATE FUNCTION xf_board_cases_sql(src text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT format($q$
    WITH x AS (
        SELECT coalesce((petition->>'occurred_at')::timestamptz, created_at)
               AT TIME ZONE 'Asia/Shanghai' AS t, left(region_code, 9) AS region,
               department, category, risk,
               (petition @? '$.classification.repeat.count ? (@ > 0)')::int AS rep,
               (petition @? '$.classification.collective ? (@ == true)')::int AS col
        FROM %1$I),
    d AS (
        INSERT INTO board_day_deltas (day, region, department, category, risk, petitions,
                                      repeats, collective)
        SELECT t::date, region, department, category, risk, count(*), sum(rep), sum(col)
        FROM x GROUP BY 1, 2, 3, 4, 5)
    INSERT INTO board_hour_deltas (day, hour, region, category, petitions)
    SELECT t::date, extract(hour FROM t), region, category, count(*)
    FROM x GROUP BY 1, 2, 3, 4
    $q$, src)
$f$;

-- The statement that counts the steps among the chain events of src (new_rows
-- in the trigger, case_events for the history), each to the department it
-- names (its data's department, else the case's).
CREATE FUNCTION xf_board_events_sql(src text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT format($q$
    INSERT INTO board_day_deltas (day, region, department, category, risk, assigned,
                                  returned, overdue, resolved, resolved_late, rated,
                                  satisfied, dissatisfied)
    SELECT (e.at AT TIME ZONE 'Asia/Shanghai')::date, left(c.region_code, 9),
           coalesce(e.data->>'department', c.department), c.category, c.risk,
           count(*) FILTER (WHERE e.type IN ('assigned', 'redispatched')),
           count(*) FILTER (WHERE e.type = 'returned'),
           count(*) FILTER (WHERE e.type IN ('overdue', 'followup_overdue')),
           count(*) FILTER (WHERE e.type = 'resolved'),
           count(*) FILTER (WHERE e.type = 'resolved' AND coalesce((e.data->>'late')::boolean,
               e.at > coalesce((SELECT (b.body::jsonb #>> '{data,resolve_by}')::timestamptz
                                FROM case_events b
                                WHERE b.case_id = e.case_id AND b.seq < e.seq
                                  AND b.body::jsonb #> '{data,resolve_by}' IS NOT NULL
                                ORDER BY b.seq DESC LIMIT 1), c.resolve_by))),
           count(*) FILTER (WHERE e.type = 'rated'),
           count(*) FILTER (WHERE e.type = 'rated' AND e.data->>'satisfaction' = 'satisfied'),
           count(*) FILTER (WHERE e.type = 'rated'
                            AND e.data->>'satisfaction' = 'dissatisfied')
    FROM (SELECT case_id, seq, type, at, body::jsonb->'data' AS data FROM %1$I
          WHERE type IN ('assigned', 'redispatched', 'returned', 'overdue',
                         'followup_overdue', 'resolved', 'rated')) e
    JOIN cases c USING (case_id)
    GROUP BY 1, 2, 3, 4, 5
    $q$, src)
$f$;

CREATE FUNCTION xf_board_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE xf_board_cases_sql('new_rows');
    RETURN NULL;
END $$;

CREATE TRIGGER cases_board_ins AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xf_board_cases();

CREATE FUNCTION xf_board_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE xf_board_events_sql('new_rows');
    RETURN NULL;
END $$;

CREATE TRIGGER case_events_board_ins AFTER INSERT ON case_events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION xf_board_events();

-- Moves the deltas into the tables (as xf_case_counts_fold: two instances
-- folding at once each take what the other did not, in one order).
CREATE FUNCTION xf_board_fold() RETURNS void LANGUAGE sql AS $$
    WITH d AS (DELETE FROM board_day_deltas RETURNING *)
    INSERT INTO board_days AS b
    SELECT day, region, department, category, risk, sum(petitions), sum(repeats),
           sum(collective), sum(assigned), sum(returned), sum(overdue), sum(resolved),
           sum(resolved_late), sum(rated), sum(satisfied), sum(dissatisfied)
    FROM d GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (day, region, department, category, risk) DO UPDATE SET
        petitions = b.petitions + excluded.petitions, repeats = b.repeats + excluded.repeats,
        collective = b.collective + excluded.collective,
        assigned = b.assigned + excluded.assigned, returned = b.returned + excluded.returned,
        overdue = b.overdue + excluded.overdue, resolved = b.resolved + excluded.resolved,
        resolved_late = b.resolved_late + excluded.resolved_late,
        rated = b.rated + excluded.rated, satisfied = b.satisfied + excluded.satisfied,
        dissatisfied = b.dissatisfied + excluded.dissatisfied;
    WITH d AS (DELETE FROM board_hour_deltas RETURNING *)
    INSERT INTO board_hours AS b
    SELECT day, hour, region, category, sum(petitions)
    FROM d GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (day, hour, region, category) DO UPDATE SET
        petitions = b.petitions + excluded.petitions;
$$;

-- The history there is already, into the deltas (folded by the next gauges).
DO $$
BEGIN
    EXECUTE xf_board_cases_sql('cases');
    EXECUTE xf_board_events_sql('case_events');
END $$;
