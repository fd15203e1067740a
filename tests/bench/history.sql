-- tests/bench/history.sql: a year of a large city's petitions, written
-- set-based into the daemons' tables as they would have written them
-- (make bench, step 5). Run after the migrations and the bench's rules:
--   psql -v n=1000000 -f tests/bench/history.sql
-- Only columns of migrations 001-004 are filled; later columns take their
-- defaults. Deterministic (setseed). Spread: the three counties of
-- tests/bench/rules.json weighted 45/30/25 with some townships, every day of
-- the past 365 (not today), office hours, fewer on weekends; categories
-- weighted as a hotline's; 30% of petitions from 20,000 repeat petitioners;
-- one SimHash in five near a shared "matter" of its county (a few bits
-- apart), the rest uniform. Cases older than 60 days are closed (rated),
-- younger ones resolved, accepted or assigned, with deadlines in the future,
-- so that the deadline timer has nothing to do during the bench. Texts are
-- short (about 100 characters): the row counts and indexes are a year's,
-- the bytes about a third.
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SET work_mem = '256MB';
SET temp_buffers = '2GB'; -- the temporary tables below stay in memory
SELECT setseed(0.42);

CREATE TEMP TABLE h AS
WITH g AS (
    SELECT i, random() AS r_county, random() AS r_town, random() AS r_day,
           random() AS r_time, random() AS r_cat, random() AS r_risk,
           random() AS r_who, random() AS r_hash, random() AS r_sat,
           random() AS r_ch, random() AS r_acc, random() AS r_res
      FROM generate_series(1, :n) AS i
), c AS (
    SELECT g.*,
           CASE WHEN r_county < 0.45 THEN '330381' WHEN r_county < 0.75 THEN '330382'
                ELSE '330302' END AS county,
           -- weekends get half: a weekend draw moves to the Friday before half the time
           ((now() AT TIME ZONE 'Asia/Shanghai')::date - 1 - floor(r_day * 365)::int) AS day0,
           (ARRAY['urban_construction', 'urban_construction', 'urban_construction',
                  'labor_social_security', 'labor_social_security', 'environment',
                  'environment', 'transport', 'education_culture', 'commerce_tourism',
                  'commerce_tourism', 'health', 'land_acquisition', 'agriculture_rural',
                  'law_litigation', 'civil_affairs', 'public_security', 'discipline',
                  'other', 'other'])[1 + floor(r_cat * 20)::int] AS category
      FROM g
), d AS (
    SELECT c.*,
           CASE WHEN extract(isodow FROM day0) >= 6 AND r_time < 0.5
                THEN day0 - (extract(isodow FROM day0)::int - 5) ELSE day0 END AS day
      FROM c
), t AS (
    SELECT d.*,
           county || CASE WHEN r_town < 0.2 THEN '001' WHEN r_town < 0.3 THEN '101' ELSE '' END
               AS region_code,
           ((day + time '08:00' + r_time * interval '12 hours') AT TIME ZONE 'Asia/Shanghai')
               AS occurred_at,
           CASE WHEN r_risk < 0.01 THEN 'A' WHEN r_risk < 0.09 THEN 'B' ELSE 'C' END AS risk,
           CASE WHEN r_who < 0.3 THEN 'p' || floor(r_who / 0.3 * 20000)::int
                ELSE 'h' || i END AS who
      FROM d
)
SELECT x.*,
       CASE WHEN age_days <= 2 THEN 'assigned' WHEN age_days <= 20 THEN 'accepted'
            WHEN age_days <= 60 THEN 'resolved' ELSE 'rated' END AS state,
       assigned_at + CASE WHEN age_days > 2 THEN r_acc * interval '3 days' END AS accepted_at,
       assigned_at + CASE WHEN age_days > 20 THEN r_acc * interval '3 days'
                          + r_res * interval '20 days' END AS resolved_at,
       assigned_at + CASE WHEN age_days > 60 THEN r_acc * interval '3 days'
                          + r_res * interval '20 days' + interval '2 days' END AS rated_at,
       CASE WHEN age_days <= 60 THEN NULL WHEN r_sat < 0.85 THEN 'satisfied'
            ELSE 'dissatisfied' END AS satisfaction
  FROM (
SELECT t.*,
       format('XF-%s-%s-%s', county, to_char(day, 'YYYYMMDD'),
              lpad((row_number() OVER (PARTITION BY county, day ORDER BY occurred_at, i))::text,
                   6, '0')) AS case_id,
       'h1y-' || i AS external_id,
       occurred_at + (1 + r_time * 600) * interval '1 second' AS received_at,
       encode(sha256(convert_to('bench-petitioner:' || who, 'UTF8')), 'hex') AS pkey,
       '139' || lpad((abs(hashtext(who)) % 100000000)::text, 8, '0') AS phone,
       CASE WHEN r_hash < 0.2 THEN
                ('x' || substr(md5('matter:' || county || ':' || floor(r_hash / 0.2 * 3000)::int),
                               1, 16))::bit(64)::bigint
                # (1::bigint << (i % 63)) # (1::bigint << ((i * 7) % 63))
            ELSE ('x' || substr(md5('petition:' || i), 1, 16))::bit(64)::bigint END AS simhash,
       CASE county WHEN '330381' THEN 'ruian' WHEN '330382' THEN 'yueqing' ELSE 'lucheng' END
           || '-' || CASE WHEN risk = 'A' THEN 'xfj' ELSE CASE category
                WHEN 'urban_construction' THEN 'zjj' WHEN 'environment' THEN 'sthj'
                WHEN 'transport' THEN 'jtj' WHEN 'education_culture' THEN 'jyj'
                WHEN 'labor_social_security' THEN 'rsj' WHEN 'commerce_tourism' THEN 'scjg'
                WHEN 'health' THEN 'wjj' WHEN 'land_acquisition' THEN 'zrzy'
                WHEN 'agriculture_rural' THEN 'nync' WHEN 'law_litigation' THEN 'sfj'
                WHEN 'civil_affairs' THEN 'mzj' WHEN 'public_security' THEN 'gaj'
                WHEN 'discipline' THEN 'jw' ELSE 'xfj' END END AS department,
       CASE WHEN risk = 'A' THEN 'risk-a' WHEN category = 'other' THEN 'catch-all'
            ELSE replace(category, '_', '-') END AS rule_id,
       CASE WHEN risk = 'A' THEN 30 ELSE 60 END AS deadline_days,
       (now() AT TIME ZONE 'Asia/Shanghai')::date - day AS age_days,
       occurred_at + (4 + r_time * 600) * interval '1 second' AS assigned_at
  FROM t) x
 ORDER BY case_id; -- every insert below then goes in key order

-- xf-intake
INSERT INTO intake_keys (source_system, external_id, case_id, src_topic, src_partition,
                         src_offset, received_at)
SELECT 't12345', external_id, case_id, 'hotline.events', i % 4, i / 4, received_at FROM h;
INSERT INTO case_seq AS s (county, day, last)
SELECT county, to_char(day, 'YYYYMMDD'), count(*) FROM h GROUP BY 1, 2
    ON CONFLICT (county, day) DO UPDATE SET last = greatest(s.last, excluded.last);

-- xf-classify
INSERT INTO petitions_seen (case_id, pkey, county, simhash, occurred_at, repeat_count)
SELECT case_id, pkey, county, simhash, occurred_at, 0 FROM h ORDER BY occurred_at;

-- xf-dispatch: cases, lead assignments, the audit chains, statistics
CREATE TEMP TABLE hp AS
SELECT h.case_id, jsonb_build_object(
    'schema', 'xf.petition.v1', 'case_id', case_id, 'external_id', external_id,
    'source', jsonb_build_object('system', 't12345', 'channel',
        CASE WHEN r_ch < 0.6 THEN 'hotline' WHEN r_ch < 0.8 THEN 'web' ELSE 'app' END),
    'occurred_at', to_char(occurred_at AT TIME ZONE 'Asia/Shanghai',
                           'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'),
    'received_at', to_char(received_at AT TIME ZONE 'Asia/Shanghai',
                           'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'),
    'region_code', region_code, 'subject', '关于' || category || '事项的反映',
    'content', repeat('反映的问题长期没有解决，请有关部门尽快调查处理并答复。', 4),
    'petitioner', jsonb_build_object('phone', phone),
    'classification', jsonb_build_object(
        'category', category, 'confidence', 0.9, 'model', 'history',
        'risk', jsonb_build_object('level', risk, 'reasons', '[]'::jsonb),
        'repeat', jsonb_build_object('count', 0, 'related', '[]'::jsonb),
        'emotion', jsonb_build_object('intensity', 0), 'keywords', '[]'::jsonb,
        'cluster_id', NULL, 'collective', false)) AS petition
  FROM h;
ALTER TABLE hp ADD PRIMARY KEY (case_id);

INSERT INTO cases (case_id, source_system, external_id, region_code, category, risk, state,
                   department, rule_id, rule_version, accept_by, resolve_by, petition,
                   created_at, updated_at, attempt, assigned_at, accepted_at, resolved_at,
                   deadline_days, satisfaction, clock_stage, due_at, clock_start)
SELECT h.case_id, 't12345', external_id, region_code, category, risk, state, department,
       rule_id, 'bench-1', assigned_at + interval '15 days',
       assigned_at + deadline_days * interval '1 day', hp.petition, assigned_at,
       coalesce(rated_at, resolved_at, accepted_at, assigned_at), 1, assigned_at,
       accepted_at, resolved_at, deadline_days, satisfaction, 0,
       CASE state WHEN 'assigned' THEN assigned_at + interval '12 days'
                  WHEN 'accepted' THEN assigned_at + deadline_days * interval '0.8 day' END,
       CASE WHEN state IN ('assigned', 'accepted') THEN assigned_at END
  FROM h JOIN hp USING (case_id);

INSERT INTO assignments (assignment_id, case_id, attempt, department, role, body, created_at)
SELECT h.case_id || '-A1', h.case_id, 1, department, 'lead',
       format('{"schema": "xf.assignment.v1", "case_id": "%1$s", "assignment_id": "%1$s-A1",'
              ' "department": "%2$s", "role": "lead", "co_handlers": [], "category": "%3$s",'
              ' "risk": {"level": "%4$s", "reasons": []}, "deadlines": {"accept_by": "%5$s",'
              ' "resolve_by": "%6$s"}, "rule": {"id": "%7$s", "version": "bench-1"},'
              ' "attempt": 1, "petition": %8$s}',
              h.case_id, department, category, risk,
              to_char((assigned_at + interval '15 days') AT TIME ZONE 'Asia/Shanghai',
                      'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'),
              to_char((assigned_at + deadline_days * interval '1 day') AT TIME ZONE
                      'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'),
              rule_id, hp.petition::text),
       assigned_at
  FROM h JOIN hp USING (case_id);

-- The chains: the first three events of each case (received, classified,
-- assigned), each body naming the hash of the one before (common/chain.h).
-- The lifecycle events of closed cases are left out: they would double the
-- time of the load, and no daemon reads a closed case's chain.
CREATE FUNCTION pg_temp.hist_chain(p_case text, p_ats text[], p_data text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    types text[] := ARRAY['received', 'classified', 'assigned'];
    prev text := repeat('0', 64);
    body text;
    out text[] := '{}';
BEGIN
    FOR k IN 1..3 LOOP
        body := format('{"at":"%s","case_id":"%s","data":%s,"prev_hash":"%s",'
                       '"schema":"xf.case_event.v1","seq":%s,"type":"%s"}',
                       p_ats[k], p_case, p_data[k], prev, k, types[k]);
        out := out || body || prev;
        prev := encode(sha256(convert_to(body, 'UTF8')), 'hex');
        out := out || prev;
    END LOOP;
    RETURN out; -- body, prev_hash, hash of each event in turn
END $$;

INSERT INTO case_events (case_id, seq, type, at, body, prev_hash, hash)
SELECT case_id, e.seq, e.type, e.at, c[3 * e.seq - 2], c[3 * e.seq - 1], c[3 * e.seq]
  FROM (SELECT case_id, received_at, assigned_at, pg_temp.hist_chain(case_id,
               ARRAY[to_char(received_at AT TIME ZONE 'Asia/Shanghai',
                             'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'), a, a],
               ARRAY[format('{"channel":"%s","external_id":"%s","source_system":"t12345"}',
                            CASE WHEN r_ch < 0.6 THEN 'hotline' WHEN r_ch < 0.8 THEN 'web'
                                 ELSE 'app' END, external_id),
                     format('{"category":"%s","model":"history","risk":{"level":"%s",'
                            '"reasons":[]}}', category, risk),
                     format('{"assignment_id":"%s-A1","attempt":1,"co_handlers":[],'
                            '"department":"%s","rule":"%s","rules_version":"bench-1",'
                            '"triage":false}', case_id, department, rule_id)]) AS c
          FROM h, to_char(assigned_at AT TIME ZONE 'Asia/Shanghai',
                          'YYYY-MM-DD"T"HH24:MI:SS"+08:00"') AS a
        OFFSET 0) x -- one call per case (flattened, c would be computed per use)
 CROSS JOIN LATERAL (VALUES (1, 'received', received_at), (2, 'classified', assigned_at),
                            (3, 'assigned', assigned_at)) AS e(seq, type, at);

-- Statistics per department and category, as feedback would have kept them.
INSERT INTO dept_stats AS s (department, category, assigned, accepted, resolved, rated,
                             satisfied, dissatisfied, accept_hist)
SELECT department, category, count(*), count(accepted_at), count(resolved_at),
       count(rated_at), count(*) FILTER (WHERE satisfaction = 'satisfied'),
       count(*) FILTER (WHERE satisfaction = 'dissatisfied'),
       ARRAY[count(*) FILTER (WHERE b = 0), count(*) FILTER (WHERE b = 1),
             count(*) FILTER (WHERE b = 2), count(*) FILTER (WHERE b = 3),
             count(*) FILTER (WHERE b = 4), count(*) FILTER (WHERE b = 5),
             count(*) FILTER (WHERE b = 6), count(*) FILTER (WHERE b = 7),
             count(*) FILTER (WHERE b = 8), count(*) FILTER (WHERE b = 9),
             count(*) FILTER (WHERE b = 10), count(*) FILTER (WHERE b >= 11)]::int[]
  FROM (SELECT department, category, accepted_at, resolved_at, rated_at, satisfaction,
               CASE WHEN accepted_at IS NULL THEN NULL
                    ELSE least(11, greatest(0, ceil(ln(greatest(1e-9, extract(epoch FROM
                         accepted_at - assigned_at)::float8 / 3600)) / ln(2)))::int) END AS b
          FROM h) x
 GROUP BY 1, 2
    ON CONFLICT (department, category) DO UPDATE SET assigned = s.assigned + excluded.assigned,
       accepted = s.accepted + excluded.accepted, resolved = s.resolved + excluded.resolved,
       rated = s.rated + excluded.rated, satisfied = s.satisfied + excluded.satisfied,
       dissatisfied = s.dissatisfied + excluded.dissatisfied, accept_hist = excluded.accept_hist;

ANALYZE intake_keys;
ANALYZE case_seq;
ANALYZE petitions_seen;
ANALYZE cases;
ANALYZE assignments;
ANALYZE case_events;
ANALYZE dept_stats;
SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM case_events) AS events,
       pg_size_pretty(pg_database_size(current_database())) AS size;
