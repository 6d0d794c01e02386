-- Write use cases now commit in groups on one writer connection per process, synchronously
-- (src/db/writer.rs): no transaction commits without waiting for its WAL flush any more, so
-- the separate durability write that followed such a commit, and its table, are gone.
DROP TABLE durability_marks;
