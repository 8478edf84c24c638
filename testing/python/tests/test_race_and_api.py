"""Users at once at a barrier, and the API with tokens."""

import pytest

from registrar_testing import ApiClient, problem_type


def test_two_saves_at_once_one_303_one_409(registrar):
    alice, bob = registrar.clients("alice", "bob")
    student = alice.create()
    outcomes = registrar.race(alice.edit_form(student, gpa="3.9").submit, bob.edit_form(student, gpa="1.5").submit)
    assert sorted(outcomes.statuses) == [303, 409]
    assert outcomes.tally == {303: 1, 409: 1}


def test_eight_at_once_exactly_one_wins_and_seven_are_kept(registrar):
    clients = registrar.clients(*["alice", "bob", "carol", "admin"] * 2)  # 8 browsers
    student = clients[0].create()
    forms = [c.edit_form(student, name=f"Registrar {n}") for n, c in enumerate(clients)]
    outcomes = registrar.race(*(f.submit for f in forms))
    assert (outcomes.count_of(303), outcomes.count_of(409)) == (1, 7)
    history = clients[0].get(f"/students/{student}/history").history()
    assert (len(history.of("updated")), len(history.of("conflict"))) == (1, 7)


def test_a_race_raises_what_an_action_raised():
    def fails():
        raise ValueError("boom")

    from registrar_testing import race

    with pytest.raises(ValueError, match="boom"):
        race(lambda: 1, fails)


def test_the_api_with_a_token_made_on_the_account_page(registrar, registrar_api):
    made = registrar_api.post("/students", json={"name": "Ada", "address": "1 Main St", "gpa": "3.5"})
    assert made.status_code == 201, made.text
    student = made.json()
    assert registrar_api.get("/me").json()["username"] == "alice"
    stale = registrar_api.patch(f"/students/{student['id']}", {"gpa": "3.9"}, version=student["version"] + 1)
    assert (stale.status_code, problem_type(stale)) == (412, "stale-version")
    viewer = registrar.api("alice", role="viewer")  # capped at viewer
    refused = viewer.post("/students", json={"name": "Bo", "address": "2 High St", "gpa": "3"})
    assert (refused.status_code, problem_type(refused)) == (403, "not-allowed")
    nobody = ApiClient(registrar.url, None).get("/students")
    assert (nobody.status_code, problem_type(nobody)) == (401, "unauthorized")


def test_a_token_made_by_the_command_line(registrar):
    token = registrar.server.token("bob", name="cli")
    assert ApiClient(registrar.url, token).get("/me").json()["username"] == "bob"
