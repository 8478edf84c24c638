"""The pages people assert on, read as data: conflict pages, the history,
the import preview and result, the error pages."""

import pytest

from registrar_testing import ALIKE, CONFLICT, THEIRS, UNCHANGED, YOURS


def test_the_conflict_page_per_field_and_who_changed_it(registrar):
    alice, bob = registrar.clients("alice", "bob")
    student = alice.create(name="Ada", address="1 Main St", gpa="3")
    bobs = bob.edit_form(student, name="Ada King", gpa="3.5", address="2 High St")
    alice.edit(student, name="Ada Lovelace", address="2 High St", student_number="S-1", reason="Married")
    conflict = bobs.submit().conflict()
    assert (conflict.kind, conflict.seen_version, conflict.current_version) == ("edit", 1, 2)
    assert conflict.changed_by == ["alice"]
    assert (conflict.changes[0].action, conflict.changes[0].reason) == ("updated", "Married")
    name = conflict.fields["name"]
    assert (name.when_opened, name.yours, name.now, name.status) == ("Ada", "Ada King", "Ada Lovelace", CONFLICT)
    statuses = {f.field: f.status for f in conflict.fields.values()}
    assert statuses == {"name": CONFLICT, "address": ALIKE, "student_number": THEIRS, "gpa": YOURS,
                        "confidential": UNCHANGED}
    assert conflict.conflicting == ["name"]
    assert (conflict.merge["version"], conflict.merge["gpa"]) == ("2", "3.5")
    with pytest.raises(AssertionError, match="not the 409 page"):
        alice.get(f"/students/{student}").conflict()


def test_a_stale_delete_and_an_edit_of_a_deleted_record(registrar):
    alice, bob = registrar.clients("alice", "bob")
    student = alice.create(name="Ada")
    delete = bob.get(f"/students/{student}/delete").form(f"/students/{student}/delete")
    edit = bob.edit_form(student, gpa="2")
    alice.edit(student, gpa="3.1")
    stale = delete.submit().stale_delete()
    assert (stale.kind, stale.seen_version, stale.current_version, stale.changed_by) == ("delete", 1, 2, ["alice"])
    assert stale.form.submit().status == 303  # the delete form at version 2
    gone = edit.submit().deleted_meanwhile()
    assert (gone.name, gone.deleted_by) == ("Ada", "bob")
    assert gone.recreate["gpa"] == "2"


def test_the_history_as_data(registrar):
    alice = registrar.client("alice")
    student = alice.create(name="Ada", gpa="3")
    alice.edit(student, gpa="3.5", reason="Regraded")
    history = alice.get(f"/students/{student}/history").history()
    assert (history.name, history.chain, history.older) == ("Ada", "holds", None)
    updated, created = history.entries
    assert (updated.action, updated.version, updated.registrar) == ("updated", 2, "alice")
    assert (updated.changes, updated.reason) == ({"gpa": ("3.00", "3.50")}, "Regraded")
    assert (created.action, created.version, created.changes["name"]) == ("created", 1, (None, "Ada"))


def test_an_import_preview_then_its_result(registrar):
    alice = registrar.client("alice")
    student = alice.create(name="Ada", address="1 Main St", gpa="3")
    csv = f"id,version,name,address,gpa\n{student},1,Ada,1 Main St,3.5\n,,Bob,2 High St,five\n,,Cy,3 Low St,2\n"
    uploaded = alice.upload_csv(csv)
    assert uploaded.status == 303
    preview = uploaded.follow().import_preview()
    assert (preview.count("update"), preview.count("invalid"), preview.count("create")) == (1, 1, 1)
    assert preview.not_imported == 1
    assert preview.row_at(2).changes == {"gpa": ("3.00", "3.50")}
    bob_row = preview.row_at(3)
    assert (bob_row.outcome, bob_row.why, list(bob_row.problems)) == ("invalid", "invalid", ["gpa"])
    assert preview.confirm.submit().status == 303
    result = alice.wait_for_import(uploaded.location).import_result()
    assert (result.written, result.refused, result.failure) == (2, 1, None)
    assert result.refused_csv and [r.why for r in result.rows if r.why] == ["invalid"]


def test_a_file_that_cannot_be_read_is_refused_with_its_problems(registrar):
    refused = registrar.client("alice").upload_csv("name,address\nAda,1 Main St\n")
    assert refused.status == 422
    preview = refused.import_preview()
    assert preview.confirm is None and preview.problems and preview.problems[0].line == 1


def test_the_403_404_410_and_422_pages(registrar):
    alice, victor = registrar.clients("alice", "victor")
    student = alice.create(name="Ada")
    assert victor.get(f"/students/{student}/edit").error().status == 403
    missing = alice.get("/students/999999").error()
    assert (missing.status, bool(missing.heading)) == (404, True)
    invalid = alice.edit(student, gpa="9").error()
    assert (invalid.status, list(invalid.field_errors)) == (422, ["gpa"])
    alice.delete(student)
    gone = alice.get(f"/students/{student}").error()
    assert (gone.status, gone.deleted_by, gone.deleted_at is not None) == (410, "alice", True)
    assert gone.undelete.submit().status == 303
    with pytest.raises(AssertionError, match="not an error page"):
        alice.get(f"/students/{student}").error()


@pytest.mark.registrar(accounts=["admin:admin", "mallory"])
def test_the_429_page_of_a_throttled_sign_in(registrar):
    client = registrar.client()
    answers = [client.sign_in("mallory", f"wrong guess {n}").status for n in range(6)]
    assert answers == [401] * 5 + [429]
    throttled = client.sign_in("mallory", "wrong guess 7").error()
    assert throttled.status == 429 and throttled.retry_after > 0 and throttled.message
