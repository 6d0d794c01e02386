CREATE TABLE durability_marks (
    backend_pid INTEGER PRIMARY KEY,
    flushes BIGINT NOT NULL
);
