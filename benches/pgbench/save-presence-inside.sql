-- A save with the presence mark cleared inside the edit transaction: still 9 round trips, one commit (WAL flush) fewer.
-- Variables: first (the first student's id), token (a session's token hash),
-- username and registrar_id (its account); each client edits student first + client_id.
\set id :first + :client_id
SELECT "sessions"."token_hash" AS "A_token_hash", "sessions"."registrar_id" AS "A_registrar_id", "sessions"."csrf_token" AS "A_csrf_token", "sessions"."created_at" AS "A_created_at", "sessions"."last_seen_at" AS "A_last_seen_at", "sessions"."expires_at" AS "A_expires_at", "sessions"."client_addr" AS "A_client_addr", "sessions"."user_agent" AS "A_user_agent", "registrars"."id" AS "B_id", "registrars"."username" AS "B_username", "registrars"."username_key" AS "B_username_key", "registrars"."password_hash" AS "B_password_hash", "registrars"."created_at" AS "B_created_at", "registrars"."disabled_at" AS "B_disabled_at", "registrars"."role" AS "B_role", "registrars"."version" AS "B_version", "registrars"."must_change_password" AS "B_must_change_password", "registrars"."last_sign_in_at" AS "B_last_sign_in_at" FROM "sessions" LEFT JOIN "registrars" ON "sessions"."registrar_id" = "registrars"."id" WHERE "sessions"."token_hash" = :token LIMIT 1;
BEGIN;
SELECT "students"."id", "students"."name", "students"."address", "students"."gpa_hundredths", "students"."search_key", "students"."version", "students"."created_at", "students"."updated_at", "students"."updated_by", "students"."deleted_at", "students"."deleted_by" FROM "students" WHERE "students"."id" = :id LIMIT 1 FOR UPDATE \gset s_
SELECT "registrars"."id", "registrars"."username", "registrars"."username_key", "registrars"."password_hash", "registrars"."created_at", "registrars"."disabled_at", "registrars"."role", "registrars"."version", "registrars"."must_change_password", "registrars"."last_sign_in_at" FROM "registrars" WHERE "registrars"."username_key" = :username LIMIT 1;
SELECT "registrars"."id", "registrars"."username", "registrars"."username_key", "registrars"."password_hash", "registrars"."created_at", "registrars"."disabled_at", "registrars"."role", "registrars"."version", "registrars"."must_change_password", "registrars"."last_sign_in_at" FROM "registrars" WHERE "registrars"."id" = :registrar_id LIMIT 1 FOR SHARE;
\set v :s_version + 1
\set gpa 250 + 100 * (:v % 2)
UPDATE "students" SET "version" = "version" + 1, "updated_at" = now(), "updated_by" = :username, "name" = :s_name, "address" = :s_address, "gpa_hundredths" = :gpa, "search_key" = :s_search_key WHERE "students"."id" = :id AND "students"."version" = :s_version AND "students"."deleted_at" IS NULL;
INSERT INTO "revisions" ("student_id", "version", "action", "name", "address", "gpa_hundredths", "registrar", "at", "reason") VALUES (:id, :v, 'updated', :s_name, :s_address, :gpa, :username, now(), NULL);
DELETE FROM "presence" WHERE "presence"."registrar_id" = :registrar_id AND "presence"."student_id" = :id;
COMMIT;
