-- 011: xf_similar_read reads a county's stored rows from before its cache
-- floor once per merged window instead of once per item. With a batch of
-- petitions dated before the floor (backdated events, or a cache just
-- started), 006 returned the same rows once per item of the batch: batch
-- size times the window, all sent to xf-classify, which dropped the copies.
-- The rows returned are the same set; only the copies go.

CREATE OR REPLACE FUNCTION xf_similar_read(p_items jsonb, p_counties jsonb, p_repeat_days integer,
                                p_cluster_days integer, p_ids integer)
RETURNS TABLE (r_kind text, r_o integer, r_id bigint, r_key text, r_hash bigint,
               r_at bigint, r_case_id text, r_cluster_id text, r_a bigint, r_b bigint,
               r_c bigint, r_related text, r_done boolean)
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    lock_key integer;
BEGIN
    FOR lock_key IN SELECT DISTINCT hashtext('xf-cluster:' || y.k)
                      FROM jsonb_to_recordset(p_counties) AS y(k text) ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(lock_key);
    END LOOP;
    RETURN QUERY
    WITH i AS (
        SELECT x.o, x.c, x.p, x.k, x.t,
               x.t - make_interval(days => p_repeat_days) AS lo_r,
               x.t - make_interval(days => p_cluster_days) AS lo_c,
               x.t + make_interval(days => p_cluster_days) AS hi_c
          FROM jsonb_to_recordset(p_items) AS x(o integer, c text, p text, k text, t timestamptz)),
    k AS (
        SELECT y.k, y.rev, to_timestamp(y.fl) AS fl
          FROM jsonb_to_recordset(p_counties) AS y(k text, rev bigint, fl bigint)),
    -- the cluster windows of the items from before their county's floor,
    -- merged where they overlap: each stored row is read once, not once
    -- per item of a batch that shares its window
    w AS (
        SELECT i.k, i.lo_c AS lo, i.hi_c AS hi, k.fl
          FROM i JOIN k ON k.k = i.k AND i.lo_c < k.fl),
    g AS (
        SELECT w.*, CASE WHEN w.lo <= max(w.hi) OVER (PARTITION BY w.k ORDER BY w.lo, w.hi
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                         THEN 0 ELSE 1 END AS starts
          FROM w),
    n AS (
        SELECT g.*, sum(g.starts) OVER (PARTITION BY g.k ORDER BY g.lo, g.hi
                                        ROWS UNBOUNDED PRECEDING) AS island
          FROM g),
    isl AS (
        SELECT n.k, min(n.lo) AS lo, max(n.hi) AS hi, min(n.fl) AS fl
          FROM n GROUP BY n.k, n.island)
    SELECT 'i', i.o, NULL::bigint, NULL::text, NULL::bigint, xf_us(i.t), NULL::text,
           NULL::text, xf_us(i.lo_r), xf_us(i.lo_c), xf_us(i.hi_c), NULL::text, NULL::boolean
      FROM i
    UNION ALL
    SELECT 's', i.o, ps.id, ps.county, NULL, NULL, NULL, ps.cluster_id, ps.repeat_count::bigint,
           NULL, NULL, ps.related, ps.cluster_completed
      FROM i CROSS JOIN LATERAL (SELECT * FROM petitions_seen s
                                  WHERE s.case_id = i.c OFFSET 0) ps
    UNION ALL
    SELECT 'c', NULL, ps.id, ps.county, ps.simhash, xf_us(ps.occurred_at), ps.case_id,
           ps.cluster_id, NULL, NULL, NULL, NULL, NULL
      FROM k CROSS JOIN LATERAL (SELECT * FROM petitions_seen s
                                  WHERE s.county = k.k AND s.rev > k.rev OFFSET 0) ps
    UNION ALL
    SELECT 'c', NULL, ps.id, ps.county, ps.simhash, xf_us(ps.occurred_at), ps.case_id,
           ps.cluster_id, NULL, NULL, NULL, NULL, NULL
      FROM k CROSS JOIN LATERAL (SELECT * FROM petitions_seen s
                                  WHERE k.rev IS NULL AND s.county = k.k
                                    AND s.occurred_at >= k.fl OFFSET 0) ps
    UNION ALL
    SELECT 'c', NULL, ps.id, ps.county, ps.simhash, xf_us(ps.occurred_at), ps.case_id,
           ps.cluster_id, NULL, NULL, NULL, NULL, NULL
      FROM isl CROSS JOIN LATERAL (SELECT * FROM petitions_seen s
                                    WHERE s.county = isl.k AND s.occurred_at >= isl.lo
                                      AND s.occurred_at <= isl.hi AND s.occurred_at < isl.fl
                                    OFFSET 0) ps
    UNION ALL
    SELECT 'p', NULL, ps.id, ps.pkey, ps.simhash, xf_us(ps.occurred_at), ps.case_id,
           NULL, NULL, NULL, NULL, NULL, NULL
      FROM (SELECT i.p, min(i.lo_r) AS lo FROM i WHERE i.p IS NOT NULL GROUP BY i.p) q
     CROSS JOIN LATERAL (SELECT * FROM petitions_seen s
                          WHERE s.pkey = q.p AND s.pkey IS NOT NULL
                            AND s.occurred_at >= q.lo OFFSET 0) ps
    UNION ALL
    SELECT 'r', NULL, NULL, k.k, NULL, NULL, NULL, NULL,
           coalesce((SELECT max(s.rev) FROM petitions_seen s WHERE s.county = k.k), 0),
           NULL, NULL, NULL, NULL
      FROM k
    UNION ALL
    SELECT 'n', NULL, nextval('petitions_seen_id_seq'), NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL
      FROM generate_series(1, p_ids)
    ORDER BY 1, 3;
END $$;
