"""Form-submission tests against `registrar serve --ephemeral`, from pytest.

See docs/testing.md ("From Python: the pytest plugin")."""

from .api import ApiClient, problem_type
from .client import Client
from .page import Form, Page, record_id
from .plugin import Registrar
from .race import Outcomes, race
from .readings import ALIKE, CONFLICT, THEIRS, UNCHANGED, YOURS
from .server import PASSWORD, Account, RegistrarNotFound, Server, find_binary

__all__ = [
    "ALIKE", "CONFLICT", "THEIRS", "UNCHANGED", "YOURS", "PASSWORD", "Account", "ApiClient", "Client",
    "Form", "Outcomes", "Page", "Registrar", "RegistrarNotFound", "Server", "find_binary", "problem_type",
    "race", "record_id",
]
