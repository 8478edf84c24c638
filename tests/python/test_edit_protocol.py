"""Editing a record through registrar's forms, and what a stale form gets."""

from conftest import form


def test_a_stale_form_is_refused_with_409(signed_in):
    session, url = signed_in
    csv = session.get(f"{url}/students.csv").text.splitlines()
    assert len(csv) == 1 + 5  # the header and the --demo students
    student = csv[1].split(",")[0]
    edit = session.get(f"{url}/students/{student}/edit")
    assert edit.status_code == 200
    opened = form(edit.text, f"/students/{student}")
    assert {"csrf_token", "version", "name", "address", "gpa"} <= opened.keys()

    saved = session.post(
        f"{url}/students/{student}", data={**opened, "gpa": "3.99"}, allow_redirects=False
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/students/{student}"

    # The same form again: its version is no longer the record's.
    stale = session.post(
        f"{url}/students/{student}", data={**opened, "gpa": "1.50"}, allow_redirects=False
    )
    assert stale.status_code == 409
    assert form(stale.text, f"/students/{student}")["version"] != opened["version"]
