"""Starting and stopping the server: the binary, accounts with roles, demo
data, the database of each backend, a clean stop."""

import pytest

from registrar_testing import Registrar, RegistrarNotFound, find_binary


def test_the_binary_is_found_by_registrar_bin_else_target(monkeypatch, tmp_path):
    monkeypatch.setenv("REGISTRAR_BIN", str(tmp_path / "nothing"))
    with pytest.raises(RegistrarNotFound, match="REGISTRAR_BIN"):
        find_binary()
    monkeypatch.delenv("REGISTRAR_BIN")
    for build in ("debug", "release"):
        (tmp_path / "target" / build).mkdir(parents=True)
        (tmp_path / "target" / build / "registrar").write_text("")
    (tmp_path / "sub").mkdir()
    assert find_binary(tmp_path / "sub") == tmp_path / "target" / "release" / "registrar"
    (tmp_path / "target" / "release" / "registrar").unlink()
    assert find_binary(tmp_path / "sub") == tmp_path / "target" / "debug" / "registrar"
    with pytest.raises(RegistrarNotFound, match="cargo build --release"):
        find_binary(tmp_path.parent.parent.parent / "no-such-dir")


@pytest.mark.registrar(accounts=["ada:admin", "vera:a long password:viewer"], demo=7)
def test_a_marked_test_gets_a_server_of_its_own_with_its_accounts_and_demo_data(registrar):
    ada = registrar.client("ada")
    lines = ada.get("/students.csv").text.splitlines()
    assert lines[0].startswith("id,name,address,gpa,version")
    assert len(lines) == 1 + 7
    vera = registrar.client("vera")  # signed in with her own password
    student = lines[1].split(",")[0]
    assert vera.get(f"/students/{student}").status == 200
    assert vera.get(f"/students/{student}/edit").status == 403  # a viewer
    with pytest.raises(KeyError, match="alice"):
        registrar.client("alice")


def test_the_shared_server_has_the_default_accounts(registrar):
    assert [(a.username, a.role) for a in registrar.accounts] == [
        ("admin", "admin"), ("alice", "registrar"), ("bob", "registrar"), ("carol", "registrar"),
        ("victor", "viewer")]
    assert registrar.client().get("/students").location.startswith("/login")  # not signed in
    assert registrar.client("alice").get("/students").status == 200


def test_a_server_stops_cleanly_and_its_database_goes(registrar_database_url):
    with Registrar.start(database_url=registrar_database_url) as own:
        assert own.client("alice").get("/healthz").status == 200
        database, sqlite = own.server._database, own.server.sqlite_path
        assert database.exists() if registrar_database_url else sqlite.is_file()
    assert own.server.process.returncode == 0  # SIGTERM: drained, exit 0
    if database:  # the database made for it was dropped
        assert not database.exists()
    # (and stop() raises unless the server removed its own SQLite directory)
