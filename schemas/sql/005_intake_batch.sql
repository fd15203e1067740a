-- 005: xf-intake resolves a whole batch in one statement (issue 9).
--
-- xf_intake_keys(p, p_day): the case ids of a batch of valid events, p a
-- JSON array of {"i", "system", "external_id", "county", "topic",
-- "partition", "offset"} in batch order. One row per element:
--   i           the element's "i";
--   case_id     XF-<county>-<yyyymmdd>-<seq>, sequential per county and
--               day in batch order (a number taken by a lost race with
--               another instance is skipped: a gap, never a reuse);
--   status      'new' (this call allocated it), 'redelivery' (the key's
--               first acceptance was at this same source position: publish
--               again) or 'duplicate'; the same key twice in one batch: the
--               first as if alone, the second a duplicate of it;
--   received_at the first acceptance, "yyyy-mm-ddThh:mi:ss+08:00".
-- Set-based, as xf_intake_key (001, kept) is per event: one upsert of
-- case_seq per county adding the count of its new keys, one insert of the
-- keys, one read. Locks are taken in one order (case_seq rows by county,
-- then keys by (system, external_id)), so two instances never deadlock;
-- a key another instance inserts meanwhile is read by the last statement,
-- whose snapshot is newer than the insert that waited for it.
CREATE FUNCTION xf_intake_keys(p jsonb, p_day text)
RETURNS TABLE (i integer, case_id text, status text, received_at text)
LANGUAGE plpgsql AS $$
DECLARE
    mine integer[];   -- elements whose key this call inserted
    n integer;
BEGIN
    WITH ev AS (
        SELECT * FROM jsonb_to_recordset(p) AS e(i integer, system text, external_id text,
                                                 county text, topic text,
                                                 "partition" integer, "offset" bigint)
    ), fresh AS (   -- the first element of each key the table lacks
        SELECT DISTINCT ON (e.system, e.external_id) e.*
          FROM ev e
         WHERE NOT EXISTS (SELECT 1 FROM intake_keys k
                            WHERE k.source_system = e.system
                              AND k.external_id = e.external_id)
         ORDER BY e.system, e.external_id, e.i
    ), numbered AS (
        SELECT f.*, row_number() OVER (PARTITION BY f.county ORDER BY f.i) AS rn,
               count(*) OVER (PARTITION BY f.county) AS cnt
          FROM fresh f
    ), seq AS (
        INSERT INTO case_seq AS s (county, day, last)
        SELECT f.county, p_day, count(*) FROM fresh f GROUP BY f.county ORDER BY f.county
        ON CONFLICT (county, day) DO UPDATE SET last = s.last + excluded.last
        RETURNING s.county, s.last
    ), ins AS (
        INSERT INTO intake_keys AS k (source_system, external_id, case_id, src_topic,
                                      src_partition, src_offset)
        SELECT nb.system, nb.external_id,
               format('XF-%s-%s-%s', nb.county, p_day,
                      lpad((sq.last - nb.cnt + nb.rn)::text, 6, '0')),
               nb.topic, nb."partition", nb."offset"
          FROM numbered nb JOIN seq sq ON sq.county = nb.county
         ORDER BY nb.system, nb.external_id
        ON CONFLICT DO NOTHING
        RETURNING k.source_system, k.external_id
    )
    SELECT coalesce(array_agg(nb.i), '{}') INTO mine
      FROM ins JOIN numbered nb
        ON nb.system = ins.source_system AND nb.external_id = ins.external_id;

    RETURN QUERY
    SELECT e.i, k.case_id,
           CASE WHEN k.src_topic <> e.topic OR k.src_partition <> e."partition"
                     OR k.src_offset <> e."offset" THEN 'duplicate'
                WHEN e.i = ANY (mine) THEN 'new'
                ELSE 'redelivery' END,
           to_char(k.received_at AT TIME ZONE 'UTC' + interval '8 hours',
                   'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')
      FROM jsonb_to_recordset(p) AS e(i integer, system text, external_id text,
                                      topic text, "partition" integer, "offset" bigint)
      JOIN intake_keys k ON k.source_system = e.system AND k.external_id = e.external_id
     ORDER BY e.i;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> jsonb_array_length(p) THEN
        RAISE EXCEPTION 'intake keys: % of % elements resolved', n, jsonb_array_length(p);
    END IF;
END $$;
