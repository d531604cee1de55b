-- pgbench's side of `bench/run --only replicas`: one CreateRole+DeleteRole pair as ironiam's
-- PostgreSQL journal commits it (crates/store-postgres/src/lib.rs, PgJournal::commit and
-- write_rows), on the tables ironiam's own migrations create. A pair is two write transactions,
-- so pgbench's "tps" here counts pairs, like ironiam's pairs/s.
--
-- Each transaction moves the account's version row first (every writer of one account queues on
-- it, in ironiam as here: all clients share one account), writes the entity's rows, and appends
-- to change_log. ironiam's UPDATE also checks `AND version = $expected` (its view's version) and
-- computes the new version itself; RETURNING takes that one statement's place here.
--
-- The trust policy is ironiam's bench role's (crates/bench/src/scenario.rs, TRUST_POLICY); its
-- colons are put back by replace() because pgbench reads `:name` as a variable.
--
-- Run with -M prepared: one round trip a statement, the database's best case (ironiam's client
-- prepares each statement before running it: two round trips a statement).
\set n random(1, 999999999999)
BEGIN;
UPDATE accounts SET version = version + 1 WHERE id = '999999999999' RETURNING version AS v \gset
INSERT INTO roles (role_id, account_id, name, path, create_date, trust_policy, description,
 max_session_duration, permissions_boundary, tags, inline_policies, attached_policies, trust_principals)
 VALUES ('AROAPGBENCH' || :client_id || 'X' || :n, '999999999999', 'pgbench-' || :client_id || '-' || :n, '/',
 1765000000,
 replace('{"Version"~"2012-10-17","Statement"~[{"Effect"~"Allow","Principal"~{"Service"~"ec2.amazonaws.com"},"Action"~"sts~AssumeRole"}]}', '~', chr(58)),
 NULL, 3600, NULL, '[]', '{}', '[]', '[]')
 ON CONFLICT (role_id) DO UPDATE SET name = excluded.name, path = excluded.path,
 trust_policy = excluded.trust_policy, description = excluded.description,
 max_session_duration = excluded.max_session_duration,
 permissions_boundary = excluded.permissions_boundary, tags = excluded.tags,
 inline_policies = excluded.inline_policies, attached_policies = excluded.attached_policies,
 trust_principals = excluded.trust_principals;
INSERT INTO change_log (account, version, kind, entity_id)
 VALUES ('999999999999', :v, 'role', 'AROAPGBENCH' || :client_id || 'X' || :n);
COMMIT;
BEGIN;
UPDATE accounts SET version = version + 1 WHERE id = '999999999999' RETURNING version AS v \gset
DELETE FROM roles WHERE role_id = 'AROAPGBENCH' || :client_id || 'X' || :n;
DELETE FROM role_uses WHERE role_id = 'AROAPGBENCH' || :client_id || 'X' || :n;
INSERT INTO change_log (account, version, kind, entity_id)
 VALUES ('999999999999', :v, 'role', 'AROAPGBENCH' || :client_id || 'X' || :n);
COMMIT;
