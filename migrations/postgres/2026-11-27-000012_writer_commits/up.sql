-- Write use cases now commit in groups on one writer connection per process, synchronously
-- (src/db/writer.rs): no transaction commits without waiting for its WAL flush any more, so
-- the separate durability write that followed such a commit, and its table, are gone.
-- A server of the version before this one that still runs while this is applied answers its
-- instant approvals 503 `outcome_unknown` although they were committed (its durability write
-- finds no table): replace the servers before migrating, or let clients repeat those requests
-- with their Idempotency-Key, which replays them.
DROP TABLE durability_marks;
