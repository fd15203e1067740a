-- 008: case ids past 999,999 (issue 10, item 7).
--
-- The sequence of XF-<county>-<yyyymmdd>-<seq> was lpad(seq, 6, '0'),
-- which cuts 1000000 to '100000': ids collided with earlier ones and every
-- later event of that county and day failed. Now the sequence is 6 digits
-- up to 999999 and, past it, the number as it is (7 to 10 digits, no
-- leading zero): ids never collide and earlier ones keep their form
-- (common/util.h case_id_valid, the schemas' case_id pattern). Both
-- allocators (xf_intake_key of 001, xf_intake_keys of 005) are replaced
-- by the same bodies with only the id formatting changed.

-- The case id of a county, CST day (yyyymmdd) and sequence number.
CREATE FUNCTION xf_case_id(p_county text, p_day text, p_seq bigint)
RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT format('XF-%s-%s-%s', p_county, p_day,
                  CASE WHEN p_seq <= 999999 THEN lpad(p_seq::text, 6, '0')
                       ELSE p_seq::text END)
$$;

CREATE OR REPLACE FUNCTION xf_intake_key(p_system text, p_external_id text, p_county text,
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
        case_id := xf_case_id(p_county, p_day, seq);
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

CREATE OR REPLACE FUNCTION xf_intake_keys(p jsonb, p_day text)
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
               xf_case_id(nb.county, p_day, sq.last - nb.cnt + nb.rn),
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
