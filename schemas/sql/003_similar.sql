-- 003: same-matter repeats and clusters by text similarity (issue 3).
-- Every classified petition keeps a 64-bit SimHash of its normalised text.
-- Repeat: the same petitioner (keyed hash) with a near-duplicate text within
-- a window (条例 第十九条). Cluster: at least N similar petitions from one
-- county within T days share a cluster_id.
-- The result for a case is stored with it, so a redelivery gets the same answer.
DROP FUNCTION xf_classify_state(text, text, text, text, timestamptz);
DROP TABLE petitioner_cases;
DROP TABLE cluster_members;

CREATE TABLE petitions_seen (
    id                bigserial UNIQUE,
    case_id           text PRIMARY KEY,
    pkey              text,
    county            text NOT NULL,
    simhash           bigint NOT NULL,
    occurred_at       timestamptz NOT NULL,
    repeat_count      integer NOT NULL,
    related           text,
    cluster_id        text,
    cluster_completed boolean NOT NULL DEFAULT false
);
CREATE INDEX petitions_seen_by_petitioner ON petitions_seen (pkey, occurred_at) WHERE pkey IS NOT NULL;
CREATE INDEX petitions_seen_by_county ON petitions_seen (county, occurred_at);

CREATE FUNCTION xf_hamming(a bigint, b bigint) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT bit_count((a # b)::bit(64))::integer $$;

CREATE FUNCTION xf_similar_state(p_case_id text, p_pkey text, p_county text,
                                 p_simhash bigint, p_occurred_at timestamptz,
                                 p_repeat_days integer, p_repeat_bits integer,
                                 p_cluster_n integer, p_cluster_days integer,
                                 p_cluster_bits integer,
                                 OUT repeat_count integer, OUT related text,
                                 OUT cluster_id text, OUT cluster_completed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    seen petitions_seen%ROWTYPE;
    peers text[];
    existing text;
BEGIN
    SELECT * INTO seen FROM petitions_seen ps WHERE ps.case_id = p_case_id;
    IF FOUND THEN
        repeat_count := seen.repeat_count; related := seen.related;
        cluster_id := seen.cluster_id; cluster_completed := seen.cluster_completed;
        RETURN;
    END IF;
    -- one decision per county at a time, so two instances never open two clusters
    PERFORM pg_advisory_xact_lock(hashtext('xf-cluster:' || p_county));
    repeat_count := 0;
    IF p_pkey IS NOT NULL THEN
        SELECT count(*) INTO repeat_count FROM petitions_seen ps
         WHERE ps.pkey = p_pkey
           AND ps.occurred_at >= p_occurred_at - make_interval(days => p_repeat_days)
           AND xf_hamming(ps.simhash, p_simhash) <= p_repeat_bits;
        SELECT string_agg(r.case_id, ',' ORDER BY r.id) INTO related FROM (
            SELECT ps.case_id, ps.id FROM petitions_seen ps
             WHERE ps.pkey = p_pkey
               AND ps.occurred_at >= p_occurred_at - make_interval(days => p_repeat_days)
               AND xf_hamming(ps.simhash, p_simhash) <= p_repeat_bits
             ORDER BY ps.id DESC LIMIT 20) r;
    END IF;
    SELECT array_agg(ps.case_id ORDER BY ps.id), min(ps.cluster_id)
      INTO peers, existing
      FROM petitions_seen ps
     WHERE ps.county = p_county
       AND ps.occurred_at BETWEEN p_occurred_at - make_interval(days => p_cluster_days)
                              AND p_occurred_at + make_interval(days => p_cluster_days)
       AND xf_hamming(ps.simhash, p_simhash) <= p_cluster_bits;
    cluster_completed := false;
    IF existing IS NOT NULL THEN
        cluster_id := existing;
    ELSIF coalesce(array_length(peers, 1), 0) + 1 >= p_cluster_n THEN
        cluster_id := 'CL-' || peers[1];
        cluster_completed := true;
        UPDATE petitions_seen ps SET cluster_id = 'CL-' || peers[1]
         WHERE ps.case_id = ANY (peers) AND ps.cluster_id IS NULL;
    END IF;
    INSERT INTO petitions_seen (case_id, pkey, county, simhash, occurred_at,
                                repeat_count, related, cluster_id, cluster_completed)
    VALUES (p_case_id, p_pkey, p_county, p_simhash, p_occurred_at,
            repeat_count, related, cluster_id, cluster_completed);
END $$;
