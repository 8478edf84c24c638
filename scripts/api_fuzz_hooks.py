"""Schemathesis hooks for scripts/api-fuzz: values that must be unique.

Two things the API takes must differ from request to request, which no
schema can say, and a generator repeats values on purpose (the same example
over and over, values learnt from answers):

- a student number is unique among all students, deleted ones included,
  regardless of case: a valid number another student holds is refused
  (`422`) for the state it meets, not for its data;
- an `Idempotency-Key` names one request: the same key with another request
  is refused (`422 idempotency-key-reused`, as the IETF draft on the header
  asks).

So, before each call, as Schemathesis's own advice for such fields says ("a
`before_call` hook can give unique fields fresh values"), and only for values
the document calls valid (a malformed one is left as generated, to be
refused):

- a student number in a body that any earlier request (or the seeding, named
  in API_FUZZ_TAKEN_NUMBERS) already sent is replaced by a fresh valid one;
- a well-formed Idempotency-Key is made the key of this request alone: the
  generated key followed by a digest of the request's method, path, query,
  If-Match and body. The same request sent again keeps its key (and is
  answered what the first was); a different request never shares it.

Nothing else is touched: every check judges the request as sent, and
`positive_data_acceptance` fails any `422` to a request the document calls
valid.
"""

import hashlib
import itertools
import json
import os
import re

import schemathesis

# What the domain trims: Unicode White_Space and the bidi isolates
# (src/domain/text.rs); the pattern is the document's (src/api/schemas.rs).
_TRIM = "\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\u2066-\u2069"
_NUMBER = re.compile(f"[{_TRIM}]*([A-Za-z0-9-]{{1,20}})[{_TRIM}]*")
_KEY = re.compile(r"[!-~]{1,255}")

_sent_numbers = {
    number.strip().upper()
    for number in os.environ.get("API_FUZZ_TAKEN_NUMBERS", "").split(",")
    if number.strip()
}
_fresh = itertools.count(1)


def _fresh_number():
    while True:
        number = f"FZ-{next(_fresh):06d}"
        if number not in _sent_numbers:
            return number


def _unique_number(body):
    if not isinstance(body, dict):
        return
    value = body.get("student_number")
    if not isinstance(value, str):
        return
    valid = _NUMBER.fullmatch(value)
    if valid is None:
        return
    number = valid.group(1).upper()
    if number in _sent_numbers:
        number = _fresh_number()
        body["student_number"] = number
    _sent_numbers.add(number)


def _fingerprint(case):
    headers = case.headers or {}
    request = [
        case.method,
        case.formatted_path,
        case.query,
        headers.get("If-Match"),
        case.body,
    ]
    # In the order the members are sent: the server compares the body's
    # bytes, so the same members in another order are another request.
    text = json.dumps(request, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@schemathesis.hook
def before_call(context, case, kwargs):
    _unique_number(case.body)
    headers = case.headers
    if not headers:
        return
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and _KEY.fullmatch(key):
        headers["Idempotency-Key"] = f"{key[:200]}.{_fingerprint(case)}"
