-- The edit transaction alone (BEGIN … COMMIT, 7 round trips): what the raw ceiling runs, without HTTP and the session check.
-- Variables: first (the first student's id), token (a session's token hash),
-- username and registrar_id (its account); each client edits student first + client_id.
\set id :first + :client_id
BEGIN;
SELECT "students"."id", "students"."name", "students"."address", "students"."gpa_hundredths", "students"."search_key", "students"."version", "students"."created_at", "students"."updated_at", "students"."updated_by", "students"."deleted_at", "students"."deleted_by" FROM "students" WHERE "students"."id" = :id LIMIT 1 FOR UPDATE \gset s_
SELECT "registrars"."id", "registrars"."username", "registrars"."username_key", "registrars"."password_hash", "registrars"."created_at", "registrars"."disabled_at", "registrars"."role", "registrars"."version", "registrars"."must_change_password", "registrars"."last_sign_in_at" FROM "registrars" WHERE "registrars"."username_key" = :username LIMIT 1;
SELECT "registrars"."id", "registrars"."username", "registrars"."username_key", "registrars"."password_hash", "registrars"."created_at", "registrars"."disabled_at", "registrars"."role", "registrars"."version", "registrars"."must_change_password", "registrars"."last_sign_in_at" FROM "registrars" WHERE "registrars"."id" = :registrar_id LIMIT 1 FOR SHARE;
\set v :s_version + 1
\set gpa 250 + 100 * (:v % 2)
UPDATE "students" SET "version" = "version" + 1, "updated_at" = now(), "updated_by" = :username, "name" = :s_name, "address" = :s_address, "gpa_hundredths" = :gpa, "search_key" = :s_search_key WHERE "students"."id" = :id AND "students"."version" = :s_version AND "students"."deleted_at" IS NULL;
INSERT INTO "revisions" ("student_id", "version", "action", "name", "address", "gpa_hundredths", "registrar", "at", "reason") VALUES (:id, :v, 'updated', :s_name, :s_address, :gpa, :username, now(), NULL);
COMMIT;
