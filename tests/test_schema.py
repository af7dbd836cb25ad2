"""Schemathesis drives the JSON API from its OpenAPI document: whatever it sends, no 500, and
every answer matches the document. (Open311, JSON and XML: tests/test_open311_openapi.py.)"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lapor import create_app

pytestmark = pytest.mark.slow  # a few hundred generated requests

CHECKS = (status_code_conformance, content_type_conformance, response_schema_conformance)


@pytest.mark.parametrize("document", ["/api/v1/openapi.json"])
def test_the_api_keeps_its_promises_to_any_client(settings, document):
    app = create_app(settings.with_overrides({"RATELIMIT_ENABLED": False}))
    schema = schemathesis.openapi.from_wsgi(document, app)
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        def keeps_promise(case):
            response = case.call()
            assert response.status_code < 500, (case.method, case.path, response.text)
            case.validate_response(response, checks=CHECKS)
            tried.append(response.status_code)

        keeps_promise()
    assert len(tried) >= 60
    assert any(200 <= code < 300 for code in tried) and any(code >= 400 for code in tried)
