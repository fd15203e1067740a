-- 016: xf-classify's related policies table (关联政策, xf.policies.v1,
-- issue 14), kept like the keyword table (002): every imported version, one
-- active. xf-classify reloads the active one at its next batch when its
-- sha256 changes; until one is imported it uses the starter table compiled
-- in (deploy/examples/policies.json).
CREATE TABLE policy_sets (
    version     text PRIMARY KEY,
    body        text NOT NULL,
    sha256      text NOT NULL,
    active      boolean NOT NULL DEFAULT false,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX policy_sets_one_active ON policy_sets (active) WHERE active;
