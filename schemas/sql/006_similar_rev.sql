-- 006: near-duplicate search that does not grow with history (issue 9).
-- xf-classify keeps each county's recent rows in memory and reads from
-- PostgreSQL only what changed since: every row gets a revision from one
-- sequence when it is written and again whenever its cluster_id changes.
-- Writers of a county hold its advisory lock ('xf-cluster:' || county)
-- until they commit, so once a reader holds it, every revision of that
-- county is visible and later ones are larger.
-- xf_similar_state (003) stays as the reference definition.
CREATE SEQUENCE petitions_seen_rev_seq;
ALTER TABLE petitions_seen
    ADD COLUMN rev bigint NOT NULL DEFAULT nextval('petitions_seen_rev_seq');
ALTER SEQUENCE petitions_seen_rev_seq OWNED BY petitions_seen.rev;
CREATE INDEX petitions_seen_by_rev ON petitions_seen (county, rev);

CREATE FUNCTION xf_seen_rev() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.rev := nextval('petitions_seen_rev_seq');
    RETURN NEW;
END $$;
CREATE TRIGGER petitions_seen_rev BEFORE UPDATE OF cluster_id ON petitions_seen
    FOR EACH ROW EXECUTE FUNCTION xf_seen_rev();

-- A time as microseconds since the epoch, exactly (xf-classify compares
-- times in C).
CREATE FUNCTION xf_us(t timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT (extract(epoch FROM t) * 1000000)::bigint $$;

-- xf-classify's batch (services/classify/similar.c), one transaction:
-- BEGIN; xf_similar_read; xf_similar_write; COMMIT.
-- JIT is off in both: the planner's guesses for the JSON inputs are large
-- and compiling would take far longer than the work.

-- Locks the counties of p_counties ([{k, rev, fl}]: name, latest revision
-- the caller has, NULL if none, and the floor in seconds since the epoch
-- from which it holds every row) in one sorted order, so two instances
-- never deadlock; then, in a snapshot taken after the locks, returns rows
-- told apart by r_kind, ordered by r_kind, r_id:
--  i: an item of p_items ([{o, c, p, k, t}]: ordinal, case_id, pkey,
--     county, occurred_at): r_at its time, r_a, r_b, r_c the starts of its
--     repeat and cluster windows and the end of the latter (µs);
--  s: the stored answer of an item's case_id (r_key its county);
--  c: a county's row changed since rev, or from the floor when rev is
--     NULL, or below the floor in the cluster window of an item;
--  p: a row of an item's petitioner within the widest repeat window;
--  r: a county's latest revision (r_a);
--  n: p_ids new values of petitions_seen.id.
CREATE FUNCTION xf_similar_read(p_items jsonb, p_counties jsonb, p_repeat_days integer,
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
          FROM jsonb_to_recordset(p_counties) AS y(k text, rev bigint, fl bigint))
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
      FROM i JOIN k ON k.k = i.k AND i.lo_c < k.fl
     CROSS JOIN LATERAL (SELECT * FROM petitions_seen s
                          WHERE s.county = i.k AND s.occurred_at >= i.lo_c
                            AND s.occurred_at <= i.hi_c AND s.occurred_at < k.fl OFFSET 0) ps
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

-- Stores the batch's new rows (p_rows: [{id, c, p, k, h, t, n, rel, cl,
-- done}], ids from xf_similar_read) and the cluster_ids it set on stored
-- rows (p_updates: [{id, cl}]); returns each county's latest revision.
CREATE FUNCTION xf_similar_write(p_rows jsonb, p_updates jsonb)
RETURNS TABLE (r_county text, r_rev bigint)
LANGUAGE sql SET jit = off AS $$
    WITH ins AS (
        INSERT INTO petitions_seen (id, case_id, pkey, county, simhash, occurred_at,
                                    repeat_count, related, cluster_id, cluster_completed)
        SELECT r.id, r.c, r.p, r.k, r.h, r.t, r.n, r.rel, r.cl, r.done
          FROM jsonb_to_recordset(p_rows) AS r(id bigint, c text, p text, k text, h bigint,
                                               t timestamptz, n integer, rel text, cl text,
                                               done boolean)
        RETURNING county, rev),
    upd AS (
        UPDATE petitions_seen ps SET cluster_id = u.cl
          FROM jsonb_to_recordset(p_updates) AS u(id bigint, cl text)
         WHERE ps.id = u.id
        RETURNING ps.county, ps.rev)
    SELECT a.county, max(a.rev) FROM (SELECT * FROM ins UNION ALL SELECT * FROM upd) a
     GROUP BY a.county
$$;
