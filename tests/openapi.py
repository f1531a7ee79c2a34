"""Every API response a test receives is checked against the project's OpenAPI description.

``tests/conftest.py`` wraps ``django.test.Client.request`` (which DRF's ``APIClient`` also goes
through) for the whole session: an answer to ``/api/…`` must have a status code the schema
documents for that operation, a content type documented for that status, and a body that
conforms to the documented schema. Anything else raises :class:`SchemaMismatch` in the test that
made the call, naming the operation, the status and the JSON path of each mismatch.

The schema is generated once per session, on the first API call, by drf-spectacular's own
generator (what ``vinculo spectacular`` writes); bodies are checked with
``openapi-schema-validator`` (OpenAPI 3.0 semantics over ``jsonschema``: ``nullable``,
``readOnly``/``writeOnly``, formats), one compiled validator per documented response.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.urls import Resolver404, resolve
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

API_PREFIX = "/api/"
# Routed but deliberately outside the description: the router's index, the schema, its docs.
UNDOCUMENTED_VIEWS = {"api-root", "schema", "api-docs"}
METHODS = ("get", "put", "post", "delete", "patch", "head")
MAX_ERRORS = 8


def _nullable(keyword: Any) -> Any:
    """drf-spectacular writes a nullable reference as ``{allOf: [{$ref}], nullable: true}``;
    OpenAPI 3.0.3 reads ``nullable`` only beside a ``type``, which would forbid the null the
    schema means to allow. Read it as drf-spectacular (and OpenAPI 3.1's type lists) mean it."""

    def check(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Any:
        if instance is None and schema.get("nullable") is True:
            return
        yield from keyword(validator, value, instance, schema)

    return check


# "uri" is not among openapi-schema-validator's formats, so an empty string would pass both
# branches of drf-spectacular's ``oneOf: [{format: uri}, {maxLength: 0}]`` for a blank URL.
FORMATS = FormatChecker(formats=())
FORMATS.checkers = dict(oas30_format_checker.checkers)


URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


@FORMATS.checks("uri")
def _is_uri(value: Any) -> bool:
    """An absolute URI: a scheme, then something (RFC 3986's minimum)."""
    return not isinstance(value, str) or URI.match(value) is not None


ResponseValidator = extend(
    OAS30ReadValidator,
    validators={
        name: _nullable(OAS30ReadValidator.VALIDATORS[name]) for name in ("allOf", "oneOf", "anyOf")
    },
)


class SchemaMismatch(AssertionError):
    """An API response that the OpenAPI description does not allow."""


def generate_schema() -> tuple[dict[str, Any], dict[str, int]]:
    """The description as ``vinculo spectacular`` renders it, as plain JSON data, and the
    warnings and errors its generation emitted (message → times)."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.renderers import OpenApiJsonRenderer
    from drf_spectacular.settings import spectacular_settings

    GENERATOR_STATS.reset()
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    schema = generator.get_schema(request=None, public=True)
    emitted = {
        **getattr(GENERATOR_STATS, "_warn_cache", {}),
        **getattr(GENERATOR_STATS, "_error_cache", {}),
    }
    if GENERATOR_STATS and not emitted:  # drf-spectacular keeps them elsewhere now
        emitted = {"(see the warnings printed above)": 1}
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={})), emitted


def json_path(parts: Any) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    """For oneOf/anyOf failures, the errors of the branches (they say what is actually wrong)."""
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaf_errors(sub)]


@dataclass
class Operation:
    method: str
    template: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.template} ({self.spec.get('operationId', '?')})"


@dataclass
class Description:
    schema: dict[str, Any]
    warnings: dict[str, int] = field(default_factory=dict)
    _validators: dict[tuple[str, str, str], Any] = field(default_factory=dict)

    @cached_property
    def routes(self) -> list[tuple[re.Pattern[str], str]]:
        routes = []
        for template in self.schema["paths"]:
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            routes.append((re.compile(f"^{pattern}$"), template))
        # Literal segments win over parameters: /analytics/runs/latest/ before /{uuid}/.
        routes.sort(key=lambda route: route[1].count("{"))
        return routes

    def path_item(self, path: str) -> tuple[str, dict[str, Any]] | None:
        for pattern, template in self.routes:
            if pattern.match(path):
                return template, self.schema["paths"][template]
        return None

    def validator(self, operation: Operation, status: str, media_type: str, schema: dict) -> Any:
        key = (operation.name, status, media_type)
        if key not in self._validators:
            # Local references (#/components/...) resolve against the document they sit in.
            document = {**schema, "components": self.schema.get("components", {})}
            self._validators[key] = ResponseValidator(document, format_checker=FORMATS)
        return self._validators[key]

    def check(self, method: str, path: str, response: Any) -> None:
        """Raise :class:`SchemaMismatch` unless ``response`` is one the description allows."""
        method = method.lower()
        if not path.startswith(API_PREFIX) or method == "options":
            return
        status = response.status_code
        try:
            match = resolve(path)
        except Resolver404:
            return  # no route at all: the URL router's 404, not an API operation
        if match.url_name in UNDOCUMENTED_VIEWS:
            return
        found = self.path_item(path)
        if found is None:
            raise SchemaMismatch(
                f"{method.upper()} {path} answered {status} from {match.url_name!r}, "
                "an endpoint the OpenAPI schema does not describe"
            )
        template, item = found
        if method == "head" and "get" in item:  # GET's answer without the body
            method = "get"
            response_has_body = False
        else:
            response_has_body = True
        if method not in item:
            if status == 405:
                return  # the method is not offered there, and the answer says so
            raise SchemaMismatch(
                f"{method.upper()} {path} answered {status}, but the OpenAPI schema has no "
                f"{method.upper()} operation on {template} "
                f"(documented: {', '.join(m.upper() for m in METHODS if m in item)})"
            )
        operation = Operation(method, template, item[method])
        self.check_response(operation, path, response, response_has_body)

    def check_response(
        self, operation: Operation, path: str, response: Any, has_body: bool = True
    ) -> None:
        status = str(response.status_code)
        documented = operation.spec.get("responses", {})
        spec = documented.get(status) or documented.get("default")
        where = f"{operation.name}, called as {path}, answered {status}"
        if spec is None:
            raise SchemaMismatch(
                f"{where}: a status code the OpenAPI schema does not document "
                f"(documented: {', '.join(sorted(documented))})\n"
                f"body: {_excerpt(response)}"
            )
        if not has_body:  # HEAD
            return
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        has_body = getattr(response, "streaming", False) or bool(response.content)
        content = spec.get("content") or {}
        if not has_body:
            if content:
                raise SchemaMismatch(f"{where} with no body, but the schema documents one")
            return
        if not content:
            raise SchemaMismatch(
                f"{where} with a {content_type or 'untyped'} body, but the schema documents "
                f"none for {status}\nbody: {_excerpt(response)}"
            )
        media_type = _media_type(content, content_type)
        if media_type is None:
            raise SchemaMismatch(
                f"{where} with Content-Type {content_type!r}; the schema documents "
                f"{', '.join(content)} for {status}"
            )
        schema = content[media_type].get("schema")
        if schema is None or getattr(response, "streaming", False) or "json" not in media_type:
            return
        try:
            body = json.loads(response.content)
        except ValueError as error:
            raise SchemaMismatch(f"{where} with a body that is not JSON: {error}") from None
        validator = self.validator(operation, status, media_type, schema)
        found: dict[tuple[str, str], None] = {}
        for error in validator.iter_errors(body):
            for leaf in _leaf_errors(error):
                message = leaf.message
                if message == "None for not nullable":
                    message = "null, but the schema does not allow null here"
                found[(json_path(leaf.absolute_path), message)] = None
        nulls = {at for at, message in found if message.startswith("null, but")}
        errors = sorted(
            (at, message)
            for at, message in found
            if not (at in nulls and message.startswith("None is not of type"))
        )
        if errors:
            lines = [f"  at {at}: {message}" for at, message in errors[:MAX_ERRORS]]
            if len(errors) > MAX_ERRORS:
                lines.append(f"  … and {len(errors) - MAX_ERRORS} more")
            raise SchemaMismatch(
                f"{where} with a {media_type} body that does not conform to the OpenAPI "
                "schema:\n" + "\n".join(lines)
            )


def _media_type(content: dict[str, Any], content_type: str) -> str | None:
    if content_type in content:
        return content_type
    major = content_type.split("/")[0]
    for candidate in (f"{major}/*", "*/*"):
        if candidate in content:
            return candidate
    return None


def _excerpt(response: Any, limit: int = 300) -> str:
    if getattr(response, "streaming", False):
        return "(streamed)"
    text = response.content[:limit].decode("utf-8", "replace")
    return text + ("…" if len(response.content) > limit else "")


_description: Description | None = None


def description() -> Description:
    """The session's description, generated on first use."""
    global _description
    if _description is None:
        schema, warnings = generate_schema()
        _description = Description(schema, warnings)
    return _description


def checking(request_method: Any) -> Any:
    """Wrap ``Client.request`` so that every API answer is checked before the test sees it."""

    def request(self: Any, **environ: Any) -> Any:
        __tracebackhide__ = True
        response = request_method(self, **environ)
        path = environ.get("PATH_INFO", "")
        if path.startswith(API_PREFIX):
            description().check(environ.get("REQUEST_METHOD", "GET"), path, response)
        return response

    request.__wrapped__ = request_method  # type: ignore[attr-defined]
    return request
