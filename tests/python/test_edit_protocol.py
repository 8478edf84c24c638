"""Editing a record through registrar's forms, and what a stale form gets."""

import pytest


@pytest.mark.registrar(accounts=["ada:admin"], demo=5)
def test_a_stale_form_is_refused_with_409(registrar):
    ada = registrar.client("ada")
    csv = ada.get("/students.csv").text.splitlines()
    assert len(csv) == 1 + 5  # the header and the --demo students
    student = int(csv[1].split(",")[0])
    opened = ada.edit_form(student)
    assert {"csrf_token", "version", "name", "address", "gpa"} <= set(opened.values)

    saved = opened.submit(gpa="3.99")
    assert (saved.status, saved.location) == (303, f"/students/{student}")

    # The same form with other values: its version is no longer the record's.
    stale = opened.submit(gpa="1.50")
    assert stale.status == 409
    conflict = stale.conflict()
    assert (conflict.seen_version, conflict.current_version) == (1, 2)
    assert conflict.merge["version"] == "2"
