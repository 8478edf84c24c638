"""A browser-like client: its own cookie jar, forms submitted with every
hidden input, redirects shown rather than followed."""

import time
from typing import Optional

import requests

from .page import Form, Page, record_id


class Client:
    def __init__(self, base_url: str, account=None):
        self.base_url = base_url
        self.account = account
        self.session = requests.Session()

    def __repr__(self) -> str:
        who = self.account.username if self.account else "signed out"
        return f"<Client {who} at {self.base_url}>"

    @property
    def username(self) -> Optional[str]:
        return self.account.username if self.account else None

    def get(self, path: str, **kwargs) -> Page:
        return Page(self, self.session.get(self.base_url + path, allow_redirects=False, **kwargs))

    def post(self, path: str, **kwargs) -> Page:
        """A hand-made post (`data=`, `files=`): exactly what is given."""
        return Page(self, self.session.post(self.base_url + path, allow_redirects=False, **kwargs))

    def sign_in(self, username: str, password: str) -> Page:
        """Signs in through `/login`'s form; returns its answer (`303` when
        it worked, `401`, `429`)."""
        return self.get("/login").form("/login").submit(username=username, password=password)

    # Students ------------------------------------------------------------

    def create(self, name: str = "Ada Lovelace", address: str = "12 St James's Square",
               gpa: str = "3.6", **fields) -> int:
        """Fills and submits the create form; returns the new record's id."""
        answer = self.get("/students/new").form("/students").submit(name=name, address=address, gpa=gpa, **fields)
        assert answer.status == 303, f"creating {name!r} answered {answer.status}: {answer.text[:2000]}"
        return record_id(answer.location)

    def edit_form(self, student: int, values=None, **fields) -> Form:
        """The record's edit form, opened now (at the current version), with
        the fields given typed in, not yet submitted."""
        page = self.get(f"/students/{student}/edit")
        assert page.status == 200, f"{page!r}"
        return page.form(f"/students/{student}").fill(values, **fields)

    def edit(self, student: int, values=None, **fields) -> Page:
        """Opens the edit form, types, submits: the answer (`303`, `409`, …)."""
        return self.edit_form(student, values, **fields).submit()

    def delete(self, student: int, reason: str = "") -> Page:
        page = self.get(f"/students/{student}/delete")
        return page.form(f"/students/{student}/delete").submit(reason=reason)

    # Imports -------------------------------------------------------------

    def upload_csv(self, content: str, filename: str = "students.csv") -> Page:
        """Uploads a CSV file on the import form: `303` to its preview."""
        form = self.get("/students/import").form("/students/import")
        files = {"file": (filename, content.encode(), "text/csv")}
        data = {k: v for k, v in form.values.items() if k != "file"}
        return self.post("/students/import", data=data, files=files)

    def wait_for_import(self, path: str, timeout: float = 30) -> Page:
        """Follows an import's self-reloading page until its result."""
        deadline = time.monotonic() + timeout
        while True:
            page = self.get(path)
            if 'http-equiv="refresh"' not in page.text:
                return page
            assert time.monotonic() < deadline, f"{path} still runs after {timeout}s"
            time.sleep(0.2)

    # API tokens ----------------------------------------------------------

    def make_token(self, name: str = "tests", role: str = "", days: str = "") -> str:
        """Makes an API token on `/account` (typing the password again) and
        returns it: the `#new-token` shown this once (contract §13)."""
        form = self.get("/account").form("/account/tokens")
        made = form.submit(name=name, role=role, days=days, password=self.account.password)
        token = made.select_text("#new-token")
        assert made.status == 200 and token, f"making a token answered {made.status}: {made.field_errors}"
        return token
