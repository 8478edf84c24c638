"""Signed-in clients: forms with every hidden input, fields by label or by
name, Post/Redirect/Get, flash messages and field errors, and what a
resubmitted form gets (contract §10: submission ids)."""

import pytest


def test_a_form_echoes_every_hidden_input_and_fills_by_label_or_name(registrar):
    alice = registrar.client("alice")
    student = alice.create(name="Ada", address="1 Main St", gpa="3")
    form = alice.get(f"/students/{student}/edit").form(f"/students/{student}")
    assert {"csrf_token", "version", "submission", "name", "address", "gpa"} <= set(form.values)
    assert form["version"] == "1" and form["GPA"] == "3.00"
    form.fill({"Student number": "s-42"}, Name="Ada Lovelace", gpa="3.5").fill(confidential=True)
    assert (form["student_number"], form["name"], form["gpa"], form["confidential"]) == (
        "s-42", "Ada Lovelace", "3.5", "true")
    with pytest.raises(KeyError, match="no field named or labelled 'shoe size'"):
        form.fill({"shoe size": "9"})
    saved = form.submit()
    assert (saved.status, saved.location) == (303, f"/students/{student}")
    record = saved.follow()  # Post/Redirect/Get
    assert record.flash == "Saved"
    assert record.select_text("[data-student-number]") == "S-42"


def test_field_errors_are_read_by_field_name(registrar):
    alice = registrar.client("alice")
    page = alice.get("/students/new").form("/students").submit(name="Ada", address="", gpa="4.01")
    assert page.status == 422
    assert set(page.field_errors) == {"address", "gpa"}
    assert "4.00" in page.field_error("gpa")
    assert page.field_error("name") is None
    assert page.form("/students")["gpa"] == "4.01"  # what was typed is kept


def test_a_radio_group_takes_only_what_it_offers(registrar):
    alice, bob = registrar.clients("alice", "bob")
    student = alice.create()
    stale = bob.edit_form(student, name="Ada King")
    alice.edit(student, name="Ada Byron")
    merge = stale.submit().conflict().merge
    assert merge.choices["name"] == ["Ada King", "Ada Byron"]
    with pytest.raises(ValueError, match="offers"):
        merge.choose(name="Ada Lovelace")
    assert merge.choose(name="Ada Byron").submit().status == 303


def test_the_same_form_sent_again_is_saved_once_and_other_values_are_stale(registrar):
    alice = registrar.client("alice")
    student = alice.create(gpa="3")
    form = alice.edit_form(student, gpa="3.9")
    first, again = form.submit(), form.submit()
    # The same values with the same hidden submission id: "Saved" again,
    # and nothing written twice.
    assert (first.status, again.status) == (303, 303)
    assert again.follow().flash == "Saved"
    history = alice.get(f"/students/{student}/history").history()
    assert [e.version for e in history.of("updated")] == [2]
    # Other values from the same (now stale) form: a 409.
    assert form.submit(gpa="1.5").status == 409


def test_a_signed_out_client_and_a_wrong_password(registrar):
    anyone = registrar.client()
    assert anyone.get("/students/new").location == "/login?next=/students/new"
    assert anyone.sign_in("alice", "not her password").status == 401
