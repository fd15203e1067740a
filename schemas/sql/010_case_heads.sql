-- 010: the head of each case's audit chain (its last seq and hash), kept
-- apart from case_events and advanced in the same statement as every event
-- append (a trigger), so that `xfctl audit verify` notices what a chain
-- walk alone cannot: events deleted from the end of a chain, and a chain
-- rewritten end to end with every hash recomputed.
CREATE TABLE case_heads (
    case_id text PRIMARY KEY REFERENCES cases,
    seq     integer NOT NULL,
    hash    text NOT NULL
);

-- A head only moves forward: an event appended at or below it (after a
-- tail was deleted, say) leaves it where it was, for verify to report.
CREATE FUNCTION xf_case_heads_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_heads AS h (case_id, seq, hash)
    SELECT DISTINCT ON (n.case_id) n.case_id, n.seq, n.hash
    FROM appended n
    ORDER BY n.case_id, n.seq DESC
    ON CONFLICT (case_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash
    WHERE h.seq < EXCLUDED.seq;
    RETURN NULL;
END $$;

CREATE TRIGGER case_events_advance_head AFTER INSERT ON case_events
    REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION xf_case_heads_advance();

-- The cases there are already: their last event is their head.
INSERT INTO case_heads (case_id, seq, hash)
SELECT DISTINCT ON (case_id) case_id, seq, hash
FROM case_events
ORDER BY case_id, seq DESC;
