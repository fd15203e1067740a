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
