-- Nothing on SQLite: its foreign keys are part of the table definition, which SQLite cannot
-- alter in place. There the application is linked to its certificate after the certificate is
-- written (`permits::store::links_ahead`), and the key is checked at once, as before. A
-- statement is needed for the migration to have a version on both backends.
SELECT 1;
