-- The bare edit transaction issue 31 measures saves against (5 round trips, one commit): BEGIN, SELECT … FOR UPDATE, UPDATE … WHERE version, INSERT revision, COMMIT; no session check, no writer re-check, no presence. The machine's yardstick.
-- Variables: first (the first student's id), token (a session's token hash),
-- username and registrar_id (its account); each client edits student first + client_id.
\set id :first + :client_id
BEGIN;
SELECT "students"."id", "students"."name", "students"."address", "students"."gpa_hundredths", "students"."search_key", "students"."student_number", "students"."confidential", "students"."version", "students"."chain_head", "students"."created_at", "students"."updated_at", "students"."updated_by", "students"."deleted_at", "students"."deleted_by" FROM "students" WHERE "students"."id" = :id FOR UPDATE \gset s_
\set v :s_version + 1
\set gpa 250 + 100 * (:v % 2)
UPDATE "students" SET "version" = "version" + 1, "updated_at" = now(), "updated_by" = :username, "chain_head" = md5(:id || '-' || :v), "name" = :s_name, "address" = :s_address, "gpa_hundredths" = :gpa, "student_number" = :s_student_number, "confidential" = :s_confidential, "search_key" = :s_search_key WHERE "students"."id" = :id AND "students"."version" = :s_version AND "students"."deleted_at" IS NULL;
INSERT INTO "revisions" ("student_id", "version", "action", "name", "address", "gpa_hundredths", "student_number", "confidential", "registrar", "at", "reason", "submission", "import_id", "hash") VALUES (:id, :v, 'updated', :s_name, :s_address, :gpa, :s_student_number, :s_confidential, :username, now(), NULL, NULL, NULL, md5(:id || '-' || :v));
COMMIT;
