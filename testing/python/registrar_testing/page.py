"""A page as a browser holds it: its status, where it redirects, its forms
(every control's current value), its flash message and field errors.

Everything here is read from the stable hooks of `docs/contract.md` (field
names, ids such as `#gpa-error`, `role=status`, data attributes), never from
wording, which may change at any time.
"""

import re
from typing import Dict, List, Optional

from bs4 import BeautifulSoup

from . import readings
from .readings import squash


class Page:
    """One answer of the server. Redirects are never followed on their own,
    so that a `303` can be asserted; `follow()` takes the next step."""

    def __init__(self, client, response):
        self.client = client
        self.response = response
        self.status: int = response.status_code
        self.path: str = response.request.path_url
        self.location: Optional[str] = response.headers.get("location")
        self.text: str = response.text
        self._soup = None

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.path}{' → ' + self.location if self.location else ''}>"

    @property
    def soup(self) -> BeautifulSoup:
        if self._soup is None:
            self._soup = BeautifulSoup(self.text, "html.parser")
        return self._soup

    @property
    def headers(self):
        return self.response.headers

    def follow(self) -> "Page":
        """The page a redirect leads to (Post/Redirect/Get)."""
        assert self.location, f"{self!r} is not a redirect"
        return self.client.get(self.location)

    # What the page says --------------------------------------------------

    def select_text(self, css: str) -> Optional[str]:
        """The squashed text of the first element `css` matches."""
        found = self.soup.select_one(css)
        return squash(found.get_text()) if found else None

    def texts(self, css: str) -> List[str]:
        return [squash(e.get_text()) for e in self.soup.select(css)]

    @property
    def heading(self) -> Optional[str]:
        return self.select_text("h1")

    @property
    def flash(self) -> Optional[str]:
        """The one-time message after a redirect (`role=status`): "Saved"."""
        return self.select_text("[role=status]")

    def field_error(self, field: str) -> Optional[str]:
        """The message by a form field (`#<field>-error`), by its name."""
        message = self.select_text(f"#{field}-error")
        return message.removeprefix("Error:").strip() if message is not None else None

    @property
    def field_errors(self) -> Dict[str, str]:
        """Every field's message, by field name."""
        errors = {}
        for element in self.soup.select("[id$=-error]"):
            name = element["id"].removesuffix("-error")
            if name not in ("login", "error-summary"):
                errors[name] = squash(element.get_text()).removeprefix("Error:").strip()
        return errors

    @property
    def error_summary(self) -> List[str]:
        return self.texts(".error-summary li")

    # Forms -----------------------------------------------------------------

    @property
    def forms(self) -> List["Form"]:
        return [Form(self.client, element) for element in self.soup.find_all("form")]

    def form(self, action: Optional[str] = None) -> "Form":
        """The form posting to `action`; without one, the page's only form in
        `main` that posts (not counting the header's sign-out)."""
        forms = [f for f in self.forms if f.method == "post" and f.action != "/logout"]
        if action is not None:
            forms = [f for f in forms if f.action == action]
        if len(forms) != 1:
            actions = [f.action for f in self.forms]
            raise AssertionError(f"{self!r}: {len(forms)} forms post to {action or 'anything'}; its forms: {actions}")
        return forms[0]

    # Readings (readings.py) ------------------------------------------------

    def conflict(self) -> "readings.ConflictPage":
        return readings.conflict(self)

    def stale_delete(self) -> "readings.ConflictPage":
        return readings.conflict(self, kind="delete")

    def deleted_meanwhile(self) -> "readings.DeletedMeanwhile":
        return readings.deleted_meanwhile(self)

    def history(self) -> "readings.History":
        return readings.history(self)

    def import_preview(self) -> "readings.ImportPreview":
        return readings.import_preview(self)

    def import_result(self) -> "readings.ImportResult":
        return readings.import_result(self)

    def error(self) -> "readings.ErrorPage":
        return readings.error_page(self)


class Form:
    """A form with every control's current value: hidden inputs (the
    `csrf_token`, the `version`, the `submission`), text inputs, checked
    boxes and radios, selected options. Submitting sends all of them back."""

    def __init__(self, client, element):
        self.client = client
        self.action: str = element.get("action") or ""
        self.method: str = (element.get("method") or "get").lower()
        self.classes: List[str] = element.get("class") or []
        self.values: Dict[str, str] = {}
        self.choices: Dict[str, List[str]] = {}  # radio groups, selects
        self.flags: Dict[str, str] = {}  # checkboxes: the value they send
        self.labels: Dict[str, str] = {}  # label text (lower case) → name
        ids = {}
        for control in element.find_all(["input", "select", "textarea"]):
            name = control.get("name")
            if not name or control.has_attr("disabled"):
                continue
            if control.get("id"):
                ids[control["id"]] = name
            kind = (control.get("type") or "text").lower()
            if control.name == "select":
                options = control.find_all("option")
                self.choices[name] = [o.get("value", squash(o.get_text())) for o in options]
                chosen = [o for o in options if o.has_attr("selected")] or options[:1]
                if chosen:
                    self.values[name] = chosen[0].get("value", squash(chosen[0].get_text()))
            elif control.name == "textarea":
                self.values[name] = control.get_text()
            elif kind == "radio":
                self.choices.setdefault(name, []).append(control.get("value", "on"))
                if control.has_attr("checked"):
                    self.values[name] = control.get("value", "on")
            elif kind == "checkbox":
                self.flags[name] = control.get("value", "on")
                if control.has_attr("checked"):
                    self.values[name] = self.flags[name]
            elif kind not in ("submit", "button", "reset", "file", "image"):
                self.values[name] = control.get("value", "")
        for label in element.find_all("label"):
            target = label.get("for")
            name = ids.get(target)
            if name is None and label.find(["input", "select", "textarea"]):
                name = label.find(["input", "select", "textarea"]).get("name")
            if name:
                self.labels.setdefault(squash(label.get_text()).lower(), name)
        for legend in element.find_all("legend"):
            radios = legend.parent.find_all("input", attrs={"type": "radio"})
            if radios:
                self.labels.setdefault(squash(legend.get_text()).lower(), radios[0].get("name"))

    def __repr__(self) -> str:
        return f"<Form {self.method.upper()} {self.action} {self.values}>"

    @property
    def names(self) -> List[str]:
        return [*self.values, *(n for n in (*self.choices, *self.flags) if n not in self.values)]

    def field(self, key: str) -> str:
        """The name of the field `key` names: a name, else a label (any case)."""
        if key in self.values or key in self.choices or key in self.flags:
            return key
        wanted = squash(key).lower()
        if wanted in self.labels:
            return self.labels[wanted]
        starts = {n for text, n in self.labels.items() if text.startswith(wanted)}
        if len(starts) == 1:
            return starts.pop()
        raise KeyError(f"{self!r} has no field named or labelled {key!r}; labels: {sorted(self.labels)}")

    def __getitem__(self, key: str) -> Optional[str]:
        return self.values.get(self.field(key))

    def fill(self, values: Optional[Dict[str, object]] = None, **fields) -> "Form":
        """Type into fields, by name or by label: `fill(gpa="3.5")`,
        `fill({"Student number": "S-1"})`. A checkbox takes True/False; a
        radio group or a select takes one of the values it offers."""
        for key, value in {**(values or {}), **fields}.items():
            name = self.field(key)
            if name in self.flags:
                if value in (True, "true", self.flags[name]):
                    self.values[name] = self.flags[name]
                else:
                    self.values.pop(name, None)
            elif name in self.choices and str(value) not in self.choices[name]:
                raise ValueError(f"{name} offers {self.choices[name]}, not {value!r}")
            else:
                self.values[name] = str(value)
        return self

    choose = fill

    def submit(self, **fields) -> Page:
        """Sends every value back, as a browser would; does not follow the
        redirect (`.follow()` does)."""
        self.fill(**fields)
        if self.method == "get":
            return self.client.get(self.action, params=self.values)
        return self.client.post(self.action, data=self.values)


def record_id(location: str) -> int:
    """The id in `/students/{id}`."""
    found = re.fullmatch(r"/students/(\d+)", location or "")
    assert found, f"not a record's address: {location!r}"
    return int(found.group(1))
