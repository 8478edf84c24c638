"""The pytest plugin (entry point `pytest11`): the `registrar` fixture.

- `registrar`: a running `registrar serve --ephemeral`, shared by the
  session's tests, with the accounts `admin` (admin), `alice`, `bob`,
  `carol` (registrars) and `victor` (viewer), all with the password
  `registrar_testing.PASSWORD`. A test marked
  `@pytest.mark.registrar(accounts=[...], demo=N, args=[...])` gets a
  server of its own, started for it and stopped after it.
- `registrar_api`: an API client with a token of alice's.
- The database: SQLite (the server's own, removed when it stops) unless
  `DATABASE_URL` names a PostgreSQL or MariaDB server, or
  `--registrar-backends sqlite,postgres,mysql` runs every test that uses
  the fixture once per backend (`REGISTRAR_TEST_POSTGRES_URL`,
  `REGISTRAR_TEST_MYSQL_URL` name the servers). An unreachable server skips
  its tests, loudly; with `REGISTRAR_REQUIRE_SERVERS=1` it fails them.
"""

import os
import socket
from urllib.parse import urlsplit

import pytest

from .api import ApiClient
from .client import Client
from .race import race
from .server import DEFAULT_ACCOUNTS, Server

BACKENDS = {
    "sqlite": None,
    "postgres": ("REGISTRAR_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"),
    "mysql": ("REGISTRAR_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


class Registrar:
    """A running server and the ways in: signed-in clients, races, the API."""

    def __init__(self, server: Server):
        self.server = server
        self.url = server.url
        self._tokens = {}

    def __repr__(self) -> str:
        return f"<Registrar {self.url} on {self.server.database_url or 'SQLite'}>"

    @classmethod
    def start(cls, accounts=DEFAULT_ACCOUNTS, demo: int = 0, database_url=None, args=()) -> "Registrar":
        """Starts a server outside of pytest's fixtures; `stop()` it (or use
        `with Registrar.start() as registrar:`)."""
        return cls(Server.start(accounts=accounts, demo=demo, database_url=database_url, args=args))

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> "Registrar":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def accounts(self):
        return self.server.accounts

    def client(self, username=None) -> Client:
        """A browser of its own (its own cookies), signed in as `username`
        through the sign-in form; `None`: not signed in."""
        if username is None:
            return Client(self.url)
        account = self.server.account(username)
        client = Client(self.url, account)
        answer = client.sign_in(account.username, account.password)
        assert answer.status == 303, f"signing in as {username} answered {answer.status}: {answer.error()}"
        return client

    def clients(self, *usernames) -> list:
        return [self.client(name) for name in usernames]

    race = staticmethod(race)

    def token(self, username: str = "alice", role: str = "", name: str = "tests") -> str:
        """A new API token of `username` (capped at `role`, if given), made
        on `/account` as a person makes one."""
        return self.client(username).make_token(name=name, role=role)

    def api(self, username: str = "alice", role: str = "") -> ApiClient:
        """An API client with a new token of `username`'s."""
        return ApiClient(self.url, self.token(username, role))


def pytest_addoption(parser):
    group = parser.getgroup("registrar")
    group.addoption("--registrar-backends", default=os.environ.get("REGISTRAR_BACKENDS", ""),
                    help="run every test using `registrar` on each of these: sqlite,postgres,mysql "
                         "(default: DATABASE_URL, else sqlite)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "registrar(accounts=..., demo=0, args=()): a registrar server of the test's own")


def pytest_generate_tests(metafunc):
    wanted = [b.strip() for b in metafunc.config.getoption("registrar_backends").split(",") if b.strip()]
    if wanted and "registrar_database_url" in metafunc.fixturenames:
        unknown = [b for b in wanted if b not in BACKENDS]
        if unknown:
            raise pytest.UsageError(f"--registrar-backends: {unknown} (known: {', '.join(BACKENDS)})")
        metafunc.parametrize("registrar_database_url", wanted, indirect=True, scope="session")


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def registrar_database_url(request):
    """The database server the fixture's servers use (`None`: SQLite)."""
    backend = getattr(request, "param", None)
    if backend is None:
        return os.environ.get("DATABASE_URL") or None
    if BACKENDS[backend] is None:
        return None
    variable, default = BACKENDS[backend]
    url = os.environ.get(variable, default)
    if not _reachable(url):
        why = f"{backend} is unreachable at {url} (set {variable})"
        if os.environ.get("REGISTRAR_REQUIRE_SERVERS") == "1":
            pytest.fail(f"{why}, and REGISTRAR_REQUIRE_SERVERS=1 requires it")
        request.config.get_terminal_writer().line(f"\nSKIPPED on {backend}: {why}", yellow=True)
        pytest.skip(why)
    return url


@pytest.fixture(scope="session")
def registrar_shared(registrar_database_url):
    """The session's server (see `registrar`)."""
    with Registrar.start(database_url=registrar_database_url) as shared:
        yield shared


@pytest.fixture
def registrar(request, registrar_database_url):
    """A running registrar: the session's, or the test's own when it is
    marked `@pytest.mark.registrar(...)`."""
    marker = request.node.get_closest_marker("registrar")
    if marker is None:
        yield request.getfixturevalue("registrar_shared")
        return
    with Registrar.start(database_url=registrar_database_url, **marker.kwargs) as own:
        yield own


@pytest.fixture
def registrar_api(registrar) -> ApiClient:
    """An API client with a new token of alice's (a registrar)."""
    return registrar.api("alice")
