"""The JSON API (contract §13) with a bearer token."""

from typing import Optional

import requests


class ApiClient:
    """`requests` against `/api/v1` with `Authorization: Bearer TOKEN`.
    Errors are `application/problem+json`: assert on `status` and
    `problem(answer)["type"]`, never on the wording."""

    def __init__(self, base_url: str, token: Optional[str]):
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self.token = token
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.base_url + path, allow_redirects=False, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, body: dict, version: int, **kwargs) -> requests.Response:
        """A JSON Merge Patch at `version` (`If-Match: "VERSION"`)."""
        headers = {"Content-Type": "application/merge-patch+json", "If-Match": f'"{version}"',
                   **kwargs.pop("headers", {})}
        return self.request("PATCH", path, json=body, headers=headers, **kwargs)

    def delete(self, path: str, version: int, **kwargs) -> requests.Response:
        return self.request("DELETE", path, headers={"If-Match": f'"{version}"'}, **kwargs)


def problem_type(answer: requests.Response) -> str:
    """The problem's stable slug: `stale-version` for
    `urn:registrar:problem:stale-version`."""
    return answer.json()["type"].rsplit(":", 1)[-1]
