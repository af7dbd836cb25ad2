"""The two formats of Open311 GeoReport v2, JSON and XML, chosen by the path's extension
(`requests.xml`, `requests.json`), errors included. XML is built with ElementTree, which
escapes every text; characters XML 1.0 cannot carry at all are dropped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from flask import Response, jsonify, request

FORMATS = "any(json, xml)"  # the route converter of the extension
# A list's elements in XML are named by the singular, as the spec's examples do.
ITEM_NAMES = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def asked() -> str:
    """The format the path asks for: xml for `….xml`, else json."""
    return "xml" if request.path.endswith(".xml") else "json"


def respond(data: list | dict, *, root: str, item: str | None = None, status: int = 200):
    """`data` in the asked format: a list becomes `<root><item>…</item>…</root>` in XML, a
    mapping becomes `<root>…</root>`."""
    if asked() == "json":
        return jsonify(data), status
    tree = ElementTree.Element(root)
    if isinstance(data, list):
        for row in data:
            _fill(ElementTree.SubElement(tree, item or root), row)
    else:
        _fill(tree, data)
    body = ElementTree.tostring(tree, encoding="unicode")
    return Response(f'<?xml version="1.0" encoding="utf-8"?>\n{body}', status, mimetype="text/xml")


def spec_error(status: int, description: str):
    """The spec's error answer: `[{"code", "description"}]`, or `<errors><error>…`."""
    return respond(
        [{"code": status, "description": description}], root="errors", item="error", status=status
    )


def _fill(element: ElementTree.Element, values: dict) -> None:
    for key, value in values.items():
        _put(ElementTree.SubElement(element, key), key, value)


def _put(element: ElementTree.Element, key: str, value: object) -> None:
    if isinstance(value, dict):
        _fill(element, value)
    elif isinstance(value, list):
        name = ITEM_NAMES.get(key, "item")
        for entry in value:
            _put(ElementTree.SubElement(element, name), name, entry)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = NOT_XML.sub("", str(value))
