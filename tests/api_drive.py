"""Driving an API from its OpenAPI document with schemathesis: every operation, reads first,
each answer held to what the document promises. Shared by the staff, admin and Open311 tests."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = (status_code_conformance, content_type_conformance, response_schema_conformance)


def drive(
    schema,
    cases_for: Callable,
    *,
    examples: int,
    headers: dict | None = None,
    also: Callable | None = None,
) -> list[tuple[str, str, int]]:
    """`examples` cases of each operation from `cases_for(operation)`, reads first (an action
    may move what the reads find): none answers 500, none 401 when `headers` carry a token,
    each answer as the document says (and as `also(case, response)` checks). The (method,
    path, status) of every case."""
    tried: list[tuple[str, str, int]] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in sorted(operations, key=lambda o: (o.method.upper() != "GET", o.path)):

        @given(case=cases_for(operation))
        @hsettings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
        def keeps_promise(case):
            response = case.call(headers=headers) if headers else case.call()
            assert response.status_code < 500, (case.method, case.path, response.text)
            if headers:
                assert response.status_code != 401, (case.method, case.path, response.text)
            case.validate_response(response, checks=CHECKS)
            if also:
                also(case, response)
            tried.append((case.method, case.path, response.status_code))

        keeps_promise()
    return tried


def assert_each_operation_succeeded(tried: list[tuple[str, str, int]]) -> None:
    """Every operation answered a success at least once, and some case was refused."""
    for label in {(method, path) for method, path, _ in tried}:
        answered = [code for method, path, code in tried if (method, path) == label]
        assert any(200 <= code < 300 for code in answered), (label, answered)
    assert any(code >= 400 for *_, code in tried)
