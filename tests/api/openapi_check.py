"""Checks client API answers against Mastodon's OpenAPI schema (tests/data/mastodon-openapi/).

`check_response(...)` finds the schema's operation for a concrete request (GET
/api/v1/statuses/123 -> GET /api/v1/statuses/{id}) and validates the answer: its status must
be one the operation documents, and its body and headers must fit that status's schema (a
missing required field, a wrong type, a null where none is allowed, a bad date-time all fail).
What the schema does not describe is skipped and says so: our own /api/v1/dreamfeed/... and
any path or method Mastodon's schema lacks.

Where the schema contradicts Mastodon's documentation, SCHEMA_FIXES replaces one answer's
schema, COMPONENT_FIXES amends one component and NOT_CHECKED skips one operation, each with
its source; keep them short.

Two rules of our own, both narrower than "anything goes":
- an error status the operation does not list (403 for a token without the scope, 400 for a
  malformed parameter: Mastodon answers these everywhere, the schema lists them on a few
  operations only) must still carry Mastodon's Error entity ({"error": "..."});
- `format: uri` must be an absolute URI (openapi-core leaves it unchecked without the
  rfc3987 package; clients cannot load a relative avatar), or "": Mastodon renders blank URL
  attributes as "" (PreviewCard's author_url and provider_url, docs entities/PreviewCard.md).
- `format: email` must be an address, or "": Mastodon renders an unset contact address as ""
  (Setting.site_contact_email defaults to "", InstanceSerializer's contact.email).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from jsonschema_path import SchemaPath
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import HeaderValidationError
from openapi_core.validation.response.validators import V31ResponseValidator
from openapi_schema_validator import OAS31Validator

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "data" / "mastodon-openapi" / "schema.json"
# The schema's only server is https://{hostname}; requests are matched by path alone.
SCHEMA_HOST = "https://mastodon.example"
MAX_MESSAGE = 300
MAX_LINES = 20


@dataclass(frozen=True)
class SchemaFix:
    """Replace the schema of one answer (operation and status) with `schema`, because `why`."""

    method: str
    template: str
    status: str
    schema: dict[str, Any]
    why: str


SCHEMA_FIXES: tuple[SchemaFix, ...] = (
    SchemaFix("GET", "/api/v1/filters", "200",
              {"type": "array", "items": {"$ref": "#/components/schemas/V1Filter"}},
              "Mastodon answers an array (docs methods/filters.md: 'Returns: Array of "
              "V1::Filter'; the schema's own description says 'List of [V1::Filter]') but the "
              "schema gives one V1Filter"),
)
# Component schemas made to say what Mastodon's documentation says, each with why.
COMPONENT_FIXES: dict[str, tuple[dict[str, Any], str]] = {
    # Status.quote is oneOf Quote / ShallowQuote, and neither requires its second field, so
    # every quote fits both and oneOf fails. Docs entities/Quote.md and ShallowQuote.md list
    # quoted_status and quoted_status_id as always present (null unless accepted).
    "Quote": ({"required": ["state", "quoted_status"]},
              "docs entities/Quote.md: quoted_status is always present, nullable"),
    "ShallowQuote": ({"required": ["state", "quoted_status_id"]},
                     "docs entities/ShallowQuote.md: quoted_status_id is always present"),
}
# Operations whose answers the schema describes wrongly as a whole: "METHOD template" -> why.
NOT_CHECKED: dict[str, str] = {
    "GET /oauth/authorize": "a browser page: docs methods/oauth.md 'Returns: String (URL) or "
                            "HTML response', the schema makes its errors JSON",
}


@dataclass(frozen=True)
class SchemaCheck:
    """What checking one answer found: the operation ("GET /api/v1/statuses/{id}") or why
    none was checked (`skipped`), and every validation error (empty when valid)."""

    method: str
    path: str
    status: int
    operation: str | None = None
    skipped: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def describe(self) -> str:
        where = f"{self.method} {self.path} -> {self.status}"
        if self.skipped is not None:
            return f"{where}: not checked ({self.skipped})"
        if not self.errors:
            return f"{where}: valid for {self.operation}"
        lines = "\n".join(f"  - {error}" for error in self.errors)
        return f"{where} does not fit Mastodon's schema for {self.operation}:\n{lines}"


class _ResponseValidator(V31ResponseValidator):
    """openapi-core's 3.1 response validator without its cast step.

    openapi-core casts decoded content to the schema's types before validating it (its own
    FIXME: meant for urlencoded bodies). For JSON that turns a wrong type into a bare "failed to
    cast" with no location, hiding every other error; a JSON document (an object or an array:
    every Mastodon answer is one) needs no casting, so the schema validator sees it as the
    client does. Header values (strings, "300" for an integer) are still cast."""

    def _cast(self, schema: SchemaPath, value: Any) -> Any:
        if isinstance(value, (dict, list)):
            return value
        return super()._cast(schema, value)


def _is_email(value: Any) -> bool:
    if not isinstance(value, str) or value == "":
        return True
    return re.match(r"^[^@\s]+@[^@\s]+$", value) is not None


def _is_uri(value: Any) -> bool:
    if not isinstance(value, str) or value == "":
        return True
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$", value) is not None


@dataclass(frozen=True)
class _Schema:
    document: dict[str, Any]
    spec: SchemaPath
    validator: _ResponseValidator
    finder: APICallPathFinder
    error_validator: OAS31Validator


@functools.cache
def schema() -> _Schema:
    """The schema, loaded and prepared once per test session (1.4 MB of JSON)."""
    document = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    for fix in SCHEMA_FIXES:
        answer = document["paths"][fix.template][fix.method.lower()]["responses"][fix.status]
        answer["content"]["application/json"]["schema"] = fix.schema
    for name, (fix, _why) in COMPONENT_FIXES.items():
        document["components"]["schemas"][name].update(fix)
    spec = SchemaPath.from_dict(document)
    validator = _ResponseValidator(spec, extra_format_validators={"uri": _is_uri,
                                                                 "email": _is_email})
    return _Schema(document=document, spec=spec, validator=validator,
                   finder=APICallPathFinder(spec),
                   error_validator=OAS31Validator(document["components"]["schemas"]["Error"]))


def check_response(method: str, path: str, *, status: int, body: bytes | str | Any,
                   query: Mapping[str, Any] | None = None,
                   request_headers: Mapping[str, str] | None = None,
                   response_headers: Mapping[str, str] | None = None,
                   content_type: str | None = None) -> SchemaCheck:
    """Check one answer. `path` is concrete and without its query string (which goes in
    `query`); `body` is the raw bytes (or text, or an already decoded JSON document);
    `content_type` defaults to the response's Content-Type header, then JSON."""
    method = method.upper()
    # Rails routes ignore a trailing slash and clients send one (Mastodon.py asks for
    # /api/v1/instance/): the answer is the same operation's.
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    headers = dict(response_headers or {})
    if content_type is None:
        content_type = _header(headers, "Content-Type") or "application/json"
    data = _as_bytes(body)
    template, skipped = _find(method, path)
    if template is None:
        return SchemaCheck(method, path, status, skipped=skipped)
    operation = f"{method} {template}"
    request = MockRequest(SCHEMA_HOST, method.lower(), path, args=dict(query or {}),
                          headers=dict(request_headers or {}))
    response = MockResponse(data, status_code=status, headers=headers,
                            content_type=content_type.split(";")[0].strip())
    errors: list[str] = []
    for error in schema().validator.iter_errors(request, response):
        if isinstance(error, ResponseNotFound):
            errors.extend(_undocumented_status(status, data, operation))
        else:
            errors.extend(_describe(error))
    return SchemaCheck(method, path, status, operation=operation, errors=errors)


def assert_valid_response(method: str, path: str, **kwargs: Any) -> SchemaCheck:
    """`check_response`, raising AssertionError (with every error) when the answer is
    invalid; a skipped answer passes."""
    check = check_response(method, path, **kwargs)
    if check.errors:
        raise AssertionError(check.describe())
    return check


def _find(method: str, path: str) -> tuple[str | None, str]:
    """The operation's path template, or None and why there is none."""
    if method in ("HEAD", "OPTIONS"):
        return None, f"the schema describes no {method} answers"
    try:
        found = schema().finder.find(method.lower(), SCHEMA_HOST + path)
    except PathNotFound:
        return None, "path not in Mastodon's schema"
    except OperationNotFound:
        return None, f"{method} not in Mastodon's schema for this path"
    template: str = found.path.parts[-1]
    why = NOT_CHECKED.get(f"{method} {template}")
    if why is not None:
        return None, why
    return template, ""


def _undocumented_status(status: int, data: bytes, operation: str) -> list[str]:
    documented = sorted(_documented_statuses(operation))
    if status < 400:
        return [f"status {status} is not documented (documented: {', '.join(documented)})"]
    try:
        document = json.loads(data)
    except ValueError:
        return [f"error status {status} (not in the schema) has no JSON Error body: "
                f"{data[:200]!r}"]
    return [f"error status {status} (not in the schema) body: {_message(error)}"
            for error in schema().error_validator.iter_errors(document)]


def _documented_statuses(operation: str) -> Iterable[str]:
    method, template = operation.split(" ", 1)
    responses: dict[str, Any] = \
        schema().document["paths"][template][method.lower()]["responses"]
    return responses.keys()


def _describe(error: Exception) -> list[str]:
    """Readable lines for one openapi-core error: each schema error with its JSON path."""
    cause = error.__cause__
    prefix = f"header {error.name}: " if isinstance(error, HeaderValidationError) else ""
    schema_errors = getattr(cause, "schema_errors", None)
    if schema_errors:
        return [prefix + line for e in schema_errors for line in _messages(e)]
    if isinstance(cause, CastError):
        return [prefix + str(cause)]
    text = prefix + str(error)
    if cause is not None and str(cause) not in text:
        text = f"{text}: {cause}"
    return [text[:MAX_MESSAGE]]


def _messages(error: ValidationError) -> list[str]:
    """One error as lines "JSON path: message". For oneOf/anyOf (a nullable reference such as
    `reblog`, a polymorphic field) "is not valid under any of the given schemas" says nothing:
    the lines are those of the alternatives that fit the value's type (not the `null` one)."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        relevant = [sub for sub in error.context
                    if not (sub.validator == "type" and not sub.relative_path)]
        if relevant:
            return [line for sub in relevant for line in _messages(sub)][:MAX_LINES]
    return [_message(error)]


def _message(error: ValidationError) -> str:
    message = error.message
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "..."
    return f"{error.json_path}: {message}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _as_bytes(body: bytes | str | Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()
