-- The tables pgbench-call.sql works on, shaped like the vault's grants and audit_events.
CREATE TABLE bench_grants (
  id integer PRIMARY KEY,
  tenant_id uuid NOT NULL,
  injection jsonb NOT NULL,
  allowed_hosts jsonb NOT NULL,
  dek_id uuid NOT NULL,
  ciphertext bytea NOT NULL
);
INSERT INTO bench_grants
SELECT g, gen_random_uuid(), '{"type":"bearer"}', '["127.0.0.1"]', gen_random_uuid(), decode(md5(g::text) || md5(g::text), 'hex')
FROM generate_series(1, 1000) AS g;
CREATE TABLE bench_audit (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  occurred_at timestamptz NOT NULL DEFAULT now(),
  grant_id integer NOT NULL,
  request_id text,
  actor_id text,
  key_prefix text,
  action text NOT NULL,
  method text,
  url text,
  decision text NOT NULL,
  outcome text NOT NULL,
  upstream_status integer,
  latency_ms integer,
  context jsonb,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
-- The same indexes as audit_events: by time and by grant.
CREATE INDEX ON bench_audit (occurred_at);
CREATE INDEX ON bench_audit (grant_id, seq);
