"""A throw-away registrar for the tests in this directory.

The fixture starts `registrar serve --ephemeral`, reads the one line it
prints on standard output (`registrar listening on http://HOST:PORT`), and
stops it with SIGTERM afterwards (registrar then removes its database).
REGISTRAR_BIN names the binary; by default the debug build of this checkout.
"""

import os
import signal
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

ACCOUNT = ("ada", "correct horse battery staple")
DEFAULT_BIN = Path(__file__).resolve().parents[2] / "target" / "debug" / "registrar"


@pytest.fixture(scope="session")
def registrar_url():
    binary = os.environ.get("REGISTRAR_BIN", str(DEFAULT_BIN))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REGISTRAR_BIND")}
    server = subprocess.Popen(
        [binary, "serve", "--ephemeral", "--account", ":".join(ACCOUNT), "--demo", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the logs; nothing else is ever written to stdout
        text=True,
        env=env,
    )
    line = server.stdout.readline()
    assert line.startswith("registrar listening on "), line
    yield line.split()[-1]
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=15) == 0


class _Forms(HTMLParser):
    """Every form of a page: its action and the current value of each input."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": {}})
        elif tag == "input" and self.forms and "name" in attrs:
            if attrs.get("type") not in ("radio", "checkbox") or "checked" in attrs:
                self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def form(html, action):
    """The fields of the form that posts to `action`, hidden ones included
    (`csrf_token`, `version`): a client must send every one of them back."""
    parser = _Forms()
    parser.feed(html)
    for found in parser.forms:
        if found["action"] == action:
            return dict(found["fields"])
    raise AssertionError(f"no form posts to {action}")


@pytest.fixture
def signed_in(registrar_url):
    """A requests session signed in as the --account, and the base URL."""
    session = requests.Session()
    login = session.get(f"{registrar_url}/login")
    fields = form(login.text, "/login")
    fields.update(username=ACCOUNT[0], password=ACCOUNT[1])
    answer = session.post(f"{registrar_url}/login", data=fields, allow_redirects=False)
    assert answer.status_code == 303, answer.text
    return session, registrar_url
