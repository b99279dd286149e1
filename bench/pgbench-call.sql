-- pgbench's version of one vault call: the indexed read of a grant and one durable audit
-- insert (autocommit, so each commit waits for its WAL flush, as the vault's audit does).
\set id random(1, 1000)
SELECT tenant_id, injection, allowed_hosts, dek_id, ciphertext FROM bench_grants WHERE id = :id;
INSERT INTO bench_audit (grant_id, request_id, actor_id, key_prefix, action, method, url, decision, outcome, upstream_status, latency_ms, context, prev_hash, hash)
VALUES (:id, md5(random()::text), 'bench-key', 'avk_bench', 'proxy', 'GET', 'https://127.0.0.1/v1/items?page=', 'allow', 'ok', 200, 3,
        '{"runId":"bench"}', md5(random()::text) || md5(random()::text), md5(random()::text) || md5(random()::text));
