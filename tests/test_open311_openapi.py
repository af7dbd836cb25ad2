"""Schemathesis drives Open311 from its OpenAPI document, every path in JSON and in XML:
whatever it sends, no 500, and every answer (XML read as the document's `xml` names say)
matches the document."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
import schemathesis
from api_drive import drive
from hypothesis import strategies as st

from lapor import create_app
from lapor.web.openapi import open311_document

DOCUMENT = "/open311/v2/openapi.json"
# A request a real client would send, so that the answers past the 404s and 400s are drawn too.
FILING = {
    "service_code": "UMUM",
    "lat": "-2.21",
    "long": "113.91",
    "description": "Jembatan kayu di desa kami rusak dan berbahaya",
}


def from_xml(element: ElementTree.Element, schema: dict):
    """An XML answer as the JSON value its schema describes: a wrapped list's children are its
    items, an object's children its properties, an empty element no value."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "array" in types:
        item = schema["items"]
        named = item.get("xml", {}).get("name")
        strays = [child.tag for child in element if named and child.tag != named]
        if strays:
            raise ValueError(f"<{element.tag}> holds {strays}, not only <{named}>")
        return [from_xml(child, item) for child in element]
    if "object" in types:
        properties = schema.get("properties", {})
        return {child.tag: from_xml(child, properties.get(child.tag, {})) for child in element}
    text = element.text
    if text is None:
        return None
    if "integer" in types:
        return int(text)
    if "number" in types:
        return float(text)
    if "boolean" in types:
        return {"true": True, "false": False}.get(text, text)
    return text


@schemathesis.deserializer("text/xml")
def read_open311_xml(ctx, response):
    """The XML answer, read with the schema the document gives for its status."""
    answers = ctx.operation.definition.raw.get("responses", {})
    content = answers.get(str(response.status_code), {}).get("content", {})
    schema = content.get("text/xml", {}).get("schema")
    root = ElementTree.fromstring(response.content)
    if schema is None:
        return response.content.decode()
    named = schema.get("xml", {}).get("name")
    if named and root.tag != named:
        raise ValueError(f"root <{root.tag}>, the document says <{named}>")
    return from_xml(root, schema)


def steer(case, filed: str) -> None:
    """Half the cases as a real client's: this region, no stray key, known codes."""
    for values in (case.query, case.body):
        if isinstance(values, dict):
            values.pop("jurisdiction_id", None)
            values.pop("api_key", None)
    if case.path_parameters:
        case.path_parameters = {
            n: filed if n in ("service_request_id", "token") else "PUPR"
            for n in case.path_parameters
        }
    if case.method == "POST" and case.path.startswith("/requests") and isinstance(case.body, dict):
        case.body = dict(FILING)  # generated extras (an unknown attribute[…]) are refused
    elif case.method == "POST" and isinstance(case.body, dict):
        case.body["service_request_id"] = filed


def drive_open311(settings, examples: int) -> list[tuple[str, str, int]]:
    """Every operation of the document, `examples` generated requests each."""
    app = create_app(settings.with_overrides({"RATELIMIT_ENABLED": False}))
    filed = app.test_client().post("/open311/v2/requests.json", data=FILING).get_json()
    schema = schemathesis.openapi.from_wsgi(DOCUMENT, app)
    code = filed[0]["service_request_id"]

    def cases(operation):
        return st.tuples(operation.as_strategy(), st.booleans()).map(
            lambda drawn: _steered(drawn[0], code) if drawn[1] else drawn[0]
        )

    return drive(schema, cases, examples=examples)


def _steered(case, filed: str):
    steer(case, filed)
    return case


def test_every_open311_route_is_described_in_both_formats(app):
    described = {f"/open311/v2{path}" for path in open311_document()["paths"]}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/open311/v2/") and not rule.rule.endswith("openapi.json"):
            path = rule.rule.replace("<code>", "{code}").replace("<token>", "{token}")
            path = path.replace(".<any(json, xml):fmt>", "")
            served |= {f"{path}.json", f"{path}.xml"}
    renamed = {p.replace("{service_code}", "{code}").replace("{service_request_id}", "{code}")
               for p in described}  # fmt: skip
    assert renamed == served


def test_open311_keeps_its_promises_in_json_and_xml(settings):
    tried = drive_open311(settings, examples=8)
    formats = {path.rsplit(".", 1)[1] for _, path, _ in tried}
    assert formats == {"json", "xml"} and len(tried) >= 8 * 16 // 2
    codes = {code for *_, code in tried}
    assert any(200 <= code < 300 for code in codes) and any(code >= 400 for code in codes)


@pytest.mark.slow  # about a thousand generated requests
def test_open311_keeps_its_promises_under_a_longer_run(settings):
    tried = drive_open311(settings, examples=60)
    assert len(tried) >= 60 * 16 // 2
