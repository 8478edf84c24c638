"""Starting and stopping `registrar serve --ephemeral`.

Without a database URL the server makes a throw-away SQLite database of its
own (contract §11). With one (`postgres://…`, `mysql://…`), a server of that
kind is used: a fresh database is created beside the one the URL names and
dropped once the server has stopped, as registrar's Rust kit does, because
`--ephemeral` itself removes nothing it was given.
"""

import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import List, Optional
from urllib.parse import unquote, urlsplit, urlunsplit

#: Every account's password unless a test names another.
PASSWORD = "correct horse battery staple"

#: The accounts a server gets unless a test names others: the first account
#: is an admin whatever it asks for (contract §9).
DEFAULT_ACCOUNTS = ("admin:admin", "alice:registrar", "bob:registrar", "carol:registrar", "victor:viewer")

_names = count(1)


class RegistrarNotFound(RuntimeError):
    """No registrar binary where the plugin looks for one."""


def find_binary(start: Optional[Path] = None) -> Path:
    """`REGISTRAR_BIN`, else `target/release/registrar`, else
    `target/debug/registrar`, in the working directory or the nearest
    directory above it that has one."""
    named = os.environ.get("REGISTRAR_BIN")
    if named:
        path = Path(named)
        if not path.is_file():
            raise RegistrarNotFound(f"REGISTRAR_BIN names {named}, which is not a file")
        return path
    tried = []
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for build in ("release", "debug"):
            candidate = directory / "target" / build / "registrar"
            tried.append(str(candidate))
            if candidate.is_file():
                return candidate
    raise RegistrarNotFound(
        "no registrar binary: set REGISTRAR_BIN, or build one with `cargo build --release` "
        f"(looked for {', '.join(tried[:4])}, …)"
    )


@dataclass
class Account:
    username: str
    password: str
    role: str

    @classmethod
    def parse(cls, spec: str) -> "Account":
        """`alice`, `alice:viewer` or `alice:PASSWORD:viewer`."""
        parts = spec.split(":")
        if len(parts) == 1:
            return cls(parts[0], PASSWORD, "registrar")
        if len(parts) == 2:
            return cls(parts[0], PASSWORD, parts[1])
        return cls(parts[0], ":".join(parts[1:-1]), parts[-1])

    def flag(self) -> str:
        return f"{self.username}:{self.password}:{self.role}"


class _Database:
    """A database made for one server on PostgreSQL or MariaDB/MySQL."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.kind = "postgres" if parts.scheme.startswith("postgres") else "mysql"
        self.parts = parts
        self.name = f"registrar_py_{os.getpid()}_{int(time.time())}_{next(_names)}"
        self.url = urlunsplit(parts._replace(path="/" + self.name))
        self._run(f"CREATE DATABASE {self.name}")

    def drop(self) -> None:
        force = " WITH (FORCE)" if self.kind == "postgres" else ""
        self._run(f"DROP DATABASE IF EXISTS {self.name}{force}")

    def exists(self) -> bool:
        if self.kind == "postgres":
            return self._run(f"SELECT 1 FROM pg_database WHERE datname = '{self.name}'") == "1"
        return self._run(f"SHOW DATABASES LIKE '{self.name}'") == self.name

    def _run(self, sql: str) -> str:
        p = self.parts
        env = dict(os.environ)
        if self.kind == "postgres":
            command = [_tool("psql"), urlunsplit(p), "-v", "ON_ERROR_STOP=1", "-qAtc", sql]
        else:
            command = [_tool("mariadb", "mysql"), "-h", p.hostname or "127.0.0.1",
                       "-P", str(p.port or 3306), "-u", unquote(p.username or "root"), "-N", "-B", "-e", sql]
            if p.password:
                env["MYSQL_PWD"] = unquote(p.password)
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{sql!r} on {p.scheme}://{p.hostname}:{p.port}: {done.stderr.strip()}")
        return done.stdout.strip()


def _tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(f"making a database needs the {names[0]} command, which is not installed")


@dataclass
class Server:
    """A running `registrar serve --ephemeral`; `stop()` ends it (SIGTERM,
    exit status 0) and removes its database."""

    url: str
    accounts: List[Account]
    database_url: Optional[str]
    process: subprocess.Popen
    log: Path
    #: The SQLite database file of a server without a database URL.
    sqlite_path: Optional[Path] = None
    _database: Optional[_Database] = field(default=None, repr=False)
    _scratch: Optional[Path] = field(default=None, repr=False)

    @classmethod
    def start(cls, accounts=DEFAULT_ACCOUNTS, demo: int = 0, database_url: Optional[str] = None,
              binary: Optional[Path] = None, args=(), timeout: float = 60) -> "Server":
        accounts = [a if isinstance(a, Account) else Account.parse(a) for a in accounts]
        binary = binary or find_binary()
        sqlite_url = database_url if database_url and database_url.startswith("sqlite") else None
        database = _Database(database_url) if database_url and not sqlite_url else None
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REGISTRAR_BIND")}
        scratch = None
        if database or sqlite_url:  # a SQLite file named is used as it is, and kept
            env["DATABASE_URL"] = database.url if database else sqlite_url
        else:  # a TMPDIR of its own, so that its database file can be found
            scratch = Path(tempfile.mkdtemp(prefix="registrar-py-"))
            env["TMPDIR"] = str(scratch)
        command = [str(binary), "serve", "--ephemeral", *args]
        for account in accounts:
            command += ["--account", account.flag()]
        if demo:
            command += ["--demo", str(demo)]
        log = Path(tempfile.mkstemp(prefix="registrar-", suffix=".log")[1])
        with log.open("w") as stderr:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        line = process.stdout.readline() if ready else ""
        if not line.startswith("registrar listening on "):
            process.kill()
            process.wait()
            if database:
                database.drop()
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)
            raise RuntimeError(f"{binary} did not start (said {line!r}); its log:\n{log.read_text()[-4000:]}")
        sqlite_path = next(scratch.glob("registrar-ephemeral-*/registrar.db"), None) if scratch else None
        return cls(line.split()[-1], accounts, database.url if database else sqlite_url, process, log,
                   sqlite_path, database, scratch)

    def account(self, username: str) -> Account:
        for account in self.accounts:
            if account.username == username:
                return account
        raise KeyError(f"the server has no account {username!r}; it has {[a.username for a in self.accounts]}")

    def stop(self) -> None:
        """SIGTERM, then wait for exit status 0 (the server drains and
        removes its own database); raises if it does not exit cleanly."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        self.process.stdout.close()
        if self._database:
            self._database.drop()
        left = self.sqlite_path is not None and self.sqlite_path.parent.exists()
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
        if status == 0 and left:
            raise RuntimeError(f"registrar exited 0 but left its database {self.sqlite_path}")
        if status != 0:
            raise RuntimeError(f"registrar exited {status}; its log:\n{self.log.read_text()[-4000:]}")
        self.log.unlink(missing_ok=True)

    def token(self, username: str, name: str = "tests", role: Optional[str] = None) -> str:
        """A new API token for `username`, made by `registrar token add`
        against this server's database."""
        command = [str(self.process.args[0]), "token", "add", username, "--name", name]
        if role:
            command += ["--role", role]
        env = {**os.environ, "DATABASE_URL": self.database_url or f"sqlite://{self.sqlite_path}?mode=rw"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"registrar token add: {done.stderr.strip()}")
        return done.stdout.strip()
