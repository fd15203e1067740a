-- 002: xf-classify's keyword/phrase table (xf.keywords.v1), kept like the
-- rules: every imported version, one active. xf-classify reloads the active
-- one at its next batch when its sha256 changes.
CREATE TABLE keyword_sets (
    version     text PRIMARY KEY,
    body        text NOT NULL,
    sha256      text NOT NULL,
    active      boolean NOT NULL DEFAULT false,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX keyword_sets_one_active ON keyword_sets (active) WHERE active;
