-- 013: the large values a petition leaves (the petition with its case, its
-- assignment, events, feedback, outbox rows, webhook bodies, dead letters)
-- are compressed with LZ4 instead of PostgreSQL's default pglz when they
-- go to TOAST (over about 2 kB): under load pglz_compress took a tenth of
-- the server's time (perf, make bench; issue 9). Values stored before keep
-- their compression; both are read alike.
ALTER TABLE cases ALTER COLUMN petition SET COMPRESSION lz4;
ALTER TABLE assignments ALTER COLUMN body SET COMPRESSION lz4;
ALTER TABLE case_events ALTER COLUMN body SET COMPRESSION lz4;
ALTER TABLE feedback ALTER COLUMN body SET COMPRESSION lz4,
                     ALTER COLUMN outputs SET COMPRESSION lz4;
ALTER TABLE outbox ALTER COLUMN value SET COMPRESSION lz4;
ALTER TABLE webhook_deliveries ALTER COLUMN body SET COMPRESSION lz4;
ALTER TABLE dead_letters ALTER COLUMN original SET COMPRESSION lz4;
