"""The pages people assert on, read as data from the hooks of
`docs/contract.md` (data attributes, ids, classes), not from wording:

- the `409` pages (`.conflict-banner[data-conflict]`, §2): versions, who
  changed the record since, per field when opened / yours / now and its
  status (`tr[data-field][data-status]`), and the merge form;
- the history (`.timeline .entry[data-action][data-version]`, §7, §15);
- the import preview and result (`tr[data-outcome]`, `tr[data-result]`, §12);
- the error pages (403, 404, 410, 422, 429).

Each reading first checks that the page is the one asked for and raises
`AssertionError` naming what it got.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

# Field statuses of a comparison row (`data-status`).
UNCHANGED, YOURS, THEIRS, ALIKE, CONFLICT = "unchanged", "yours", "theirs", "alike", "conflict"


_ISOLATES = dict.fromkeys(range(0x2066, 0x206A))


def squash(text: str) -> str:
    """Whitespace squashed, without the bidi isolates `<bdi>` and
    `dir=auto` text may carry (U+2066–U+2069)."""
    return " ".join(text.translate(_ISOLATES).split())


def _text(element) -> Optional[str]:
    return squash(element.get_text()) if element is not None else None


def _not_the_page(page, what: str):
    raise AssertionError(f"{page!r} is not {what}: its heading is {page.heading!r}")


def _href(soup, css: str) -> Optional[str]:
    """The `href` of the first link `css` matches, without its `#fragment`."""
    found = soup.select_one(css)
    return found["href"].split("#")[0] if found else None


def _count(row) -> int:
    """The number in a counting row's `td`; 0 when there is no such row."""
    return int(_text(row.select_one("td"))) if row else 0


def _time(scope) -> Optional[str]:
    found = scope.select_one("time[datetime]") if scope is not None else None
    return found["datetime"] if found else None


@dataclass
class Change:
    """A committed change listed under "Who changed it"."""

    version: int
    action: str  # created, updated, deleted, imported, restored, undeleted
    registrar: str
    at: Optional[str]  # RFC 3339, UTC
    reason: Optional[str]


@dataclass
class FieldComparison:
    field: str  # name, student_number, address, gpa, confidential
    when_opened: Optional[str]  # None when the page could not tell
    yours: str
    now: str
    status: str  # UNCHANGED, YOURS, THEIRS, ALIKE or CONFLICT


@dataclass
class ConflictPage:
    kind: str  # edit, restore, delete, undelete
    name: str
    seen_version: int
    current_version: int
    changes: List[Change]
    fields: Dict[str, FieldComparison]
    form: Optional[object]  # the merge form (edit), the delete form at the current version (delete)

    @property
    def conflicting(self) -> List[str]:
        """The fields both sides changed differently: the registrar chooses."""
        return [f.field for f in self.fields.values() if f.status == CONFLICT]

    @property
    def merge(self):
        return self.form

    @property
    def changed_by(self) -> List[str]:
        """Who made the changes since the form was opened, oldest first."""
        return [c.registrar for c in self.changes]


def _changes(scope) -> List[Change]:
    return [
        Change(int(li["data-version"]), li["data-action"], li["data-registrar"], _time(li),
               _text(li.select_one(".reason q")))
        for li in scope.select(".changes li[data-version]")
    ]


def _compared(scope) -> Dict[str, FieldComparison]:
    fields = {}
    for row in scope.select("table.compare tr[data-field]"):
        cell = {td["data-side"]: _text(td) for td in row.select("td[data-side]")}
        status = row["data-status"]
        fields[row["data-field"]] = FieldComparison(
            row["data-field"], None if cell["opened"] == "(unknown)" else cell["opened"],
            cell["yours"], cell["now"], status)
    return fields


def conflict(page, kind: str = "edit") -> ConflictPage:
    """The `409` of a stale edit (`kind="edit"`), restore or delete."""
    banner = page.soup.select_one(".conflict-banner[data-conflict]")
    if page.status != 409 or banner is None or banner["data-conflict"] not in _KINDS[kind]:
        _not_the_page(page, f"the 409 page of a stale {kind}")
    if kind == "delete":
        form = next((f for f in page.forms if f.action.endswith("/delete")), None)
    else:
        form = next((f for f in page.forms if "merge" in (f.classes or [])), None)
    return ConflictPage(
        banner["data-conflict"], _text(banner.select_one("h1 bdi")),
        int(banner["data-seen-version"]), int(banner["data-current-version"]),
        _changes(page.soup), _compared(page.soup), form)


_KINDS = {"edit": ("edit", "restore"), "delete": ("delete",), "undelete": ("undelete",)}


@dataclass
class DeletedMeanwhile:
    name: str
    deleted_by: str
    deleted_at: Optional[str]
    recreate: object  # the create form, filled with what was typed


def deleted_meanwhile(page) -> DeletedMeanwhile:
    banner = page.soup.select_one(".conflict-banner[data-conflict=deleted]")
    if page.status != 409 or banner is None:
        _not_the_page(page, "the 409 page of an edit of a record deleted meanwhile")
    return DeletedMeanwhile(_text(banner.select_one("h1 bdi")), banner["data-deleted-by"], _time(banner),
                            page.form("/students"))


@dataclass
class HistoryEntry:
    action: str  # created, updated, …, or conflict (a refused form, kept)
    version: int
    registrar: str
    at: Optional[str]
    reason: Optional[str]
    changes: Dict[str, Tuple[Optional[str], Optional[str]]]  # field → (old, new); withheld: (None, None)


@dataclass
class History:
    name: str
    chain: Optional[str]  # "holds" or "broken" (§15)
    entries: List[HistoryEntry]
    newer: Optional[str]
    older: Optional[str]

    def of(self, action: str) -> List[HistoryEntry]:
        return [e for e in self.entries if e.action == action]


def history(page) -> History:
    if page.status != 200 or page.soup.select_one("ol.timeline") is None:
        _not_the_page(page, "a history page")
    entries = []
    for entry in page.soup.select("ol.timeline > li.entry[data-action]"):
        changes = {}
        for li in entry.select(".diff li[data-field]"):
            old, new = li.select_one("del"), li.select_one("ins")
            changes[li["data-field"]] = (_text(old), _text(new))
        meta = entry.select_one(".meta")
        entries.append(HistoryEntry(
            entry["data-action"], int(entry["data-version"]), _text(meta.select_one("strong")) if meta else "",
            _time(meta), _text(entry.select_one(".reason q")), changes))
    chain = page.soup.select_one("[data-chain]")
    return History(_text(page.soup.select_one("h1 bdi")), chain["data-chain"] if chain else None, entries,
                   _href(page.soup, ".pagination a[rel=prev]"), _href(page.soup, ".pagination a[rel=next]"))


@dataclass
class ImportRow:
    line: int
    outcome: str  # create, update, unchanged, conflict, deleted, unknown, invalid
    id: Optional[int]
    why: Optional[str]  # invalid, unknown, number-taken, stale, deleted
    values: Dict[str, str]  # name, address, gpa as the file has them
    changes: Dict[str, Tuple[str, str]]  # an update's fields: (now, the file's)
    problems: Dict[str, str]  # field → message


@dataclass
class ImportProblem:
    line: int
    field: str
    message: str


@dataclass
class ImportPreview:
    counts: Dict[str, int]
    rows: List[ImportRow]
    not_imported: int  # rows that will not be imported (§12)
    confirm: Optional[object]  # the confirm form; None for a refused file
    problems: List[ImportProblem]  # a refused file's (422)
    blocked: Optional[str]  # why a confirm did not start (422)
    next_page: Optional[str] = None
    previous_page: Optional[str] = None

    def count(self, outcome: str) -> int:
        return self.counts.get(outcome, 0)

    def row_at(self, line: int) -> ImportRow:
        return next(r for r in self.rows if r.line == line)


def _rows(soup) -> List[ImportRow]:
    rows = []
    for tr in soup.select("table.import-rows tbody tr[data-outcome]"):
        values = {label.lower(): _text(tr.select_one(f'td[data-label="{label}"]')) for label in ("Name", "Address", "GPA")}
        rows.append(ImportRow(
            int(tr["data-line"]), tr["data-outcome"], int(tr["data-id"]) if tr.get("data-id", "").isdigit() else None,
            tr.get("data-why"), values,
            {c["data-field"]: (c["data-old"], c["data-new"]) for c in tr.select("span.change[data-field]")},
            {p["data-field"]: _text(p).split(": ", 1)[-1] for p in tr.select("span.problem[data-field]")}))
    return rows


def import_preview(page) -> ImportPreview:
    soup = page.soup
    counts_table = soup.select_one("table.import-counts")
    if counts_table is not None and page.status in (200, 422):
        counts = {tr["data-outcome"]: _count(tr) for tr in counts_table.select("tr[data-outcome]")}
        notice = soup.select_one(".not-imported[data-rows]")
        confirm = next((f for f in page.forms if "confirm-import" in (f.classes or [])), None)
        blocked = soup.select_one(".error-summary")
        return ImportPreview(counts, _rows(soup), int(notice["data-rows"]) if notice else 0, confirm, [],
                             _text(blocked), _href(soup, ".pagination a[rel=next]"),
                             _href(soup, ".pagination a[rel=prev]"))
    if page.status == 422 and soup.select_one("table.problems") is not None:
        problems = []
        for tr in soup.select("table.problems tbody tr"):
            line, label, message = (_text(td) for td in tr.select("td"))
            problems.append(ImportProblem(int(line), label.lower().replace(" ", "_"), message))
        return ImportPreview({"invalid": len({p.line for p in problems})}, [], 0, None, problems, None)
    _not_the_page(page, "an import preview (200) or a refused file (422)")


@dataclass
class ImportResult:
    written: int
    refused: int
    unchanged: int
    failure: Optional[str]
    rows: List[ImportRow]
    merge_links: List[str]
    refused_csv: Optional[str]


def import_result(page) -> ImportResult:
    table = page.soup.select_one("table.import-result")
    if table is None:
        _not_the_page(page, "the result of an import")
    csv = page.soup.select_one("a[download]")
    written, refused, unchanged = (_count(table.select_one(f"tr[data-result={word}]"))
                                   for word in ("written", "refused", "unchanged"))
    return ImportResult(
        written, refused, unchanged, _text(page.soup.select_one("[data-failure]")),
        _rows(page.soup), [a["href"] for a in page.soup.select("table.import-rows a[href$='/merge']")],
        csv["href"] if csv else None)


@dataclass
class ErrorPage:
    status: int
    heading: Optional[str]
    message: Optional[str]
    retry_after: Optional[int]  # 429, 503: seconds
    field_errors: Dict[str, str]  # 422: field → message
    typed: Dict[str, str] = field(default_factory=dict)  # 403 of a role lost: what was typed, by label
    deleted_by: Optional[str] = None  # 410
    deleted_at: Optional[str] = None  # 410
    undelete: Optional[object] = None  # 410: the undelete form, when offered


def error_page(page) -> ErrorPage:
    """A 4xx page: 403, 404, 410 (a deleted record), 422 (the form again,
    a message per field), 429 (`Retry-After`)."""
    if not 400 <= page.status < 600:
        _not_the_page(page, "an error page")
    soup = page.soup
    message = soup.select_one("main .lead, #login-error, .error-summary p")
    typed = {}
    for area in soup.select(".typed textarea"):
        label = soup.select_one(f'label[for="{area.get("id")}"]')
        typed[_text(label) if label else area.get("name")] = area.get_text()
    retry = page.headers.get("retry-after")
    gone = page.status == 410
    lead = soup.select_one(".lead") if gone else None
    return ErrorPage(
        page.status, page.heading, _text(message), int(retry) if retry and retry.isdigit() else None,
        page.field_errors, typed, _text(lead.select_one("strong")) if lead else None, _time(lead),
        next((f for f in page.forms if f.action.endswith("/undelete")), None))
