"""The staff API's OpenAPI document (/api/v1/staff/openapi.json): public while the API is not,
complete (every route of the staff blueprint, every field of its answers), its request bodies
generated from the pydantic models, and true: schemathesis drives the staff API with an
officer's token and finds no 500 and no answer the document does not promise."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from api_drive import assert_each_operation_succeeded, drive
from hypothesis import strategies as st
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import tracking, workflow
from lapor.domain.intake import Submission
from lapor.infra import db
from lapor.services import accounts
from lapor.services.filing import file_complaint
from lapor.web import schemas
from models import Notification, Role

from support import act_on, route_to

DOCUMENT = "/api/v1/staff/openapi.json"
PREFIX = "/api/v1/staff"
NOW = datetime.now(UTC)
PASSWORD = "kata-sandi-panjang"
TEXTS = [
    ("Jalan berlubang besar di depan pasar, sudah tiga bulan", "Kota Palangka Raya"),
    ("Jalan berlubang besar dekat pasar, belum diperbaiki", "Kota Palangka Raya"),
    ("Saluran air tersumbat sampah di Jl. Yos Sudarso", None),
]


@pytest.fixture
def app(settings):
    app = create_app(settings.with_overrides({"RATELIMIT_ENABLED": False}))
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def officer(settings) -> dict:
    return officer_world(settings)


def officer_world(settings) -> dict:
    """An officer of PUPR with a token, three complaints of PUPR (two alike, one with a staff
    note and a reporter), one of another OPD, and the in-app notices routing wrote."""
    with Session(db.engine_for(settings.database_url)) as session:
        accounts.create_user(
            session,
            username="pupr",
            password=PASSWORD,
            role=Role.OFFICER,
            agency_code="PUPR",
            full_name="Petugas PUPR",
            now=NOW,
        )
        token = accounts.create_token(session, "pupr", now=NOW)
        session.commit()
        user_id = accounts.user_for_token(session, token).id
    codes = []
    for i, (text, regency) in enumerate(TEXTS):
        submission = Submission(text=text, regency=regency, name="Siti", email=f"s{i}@example.id")
        complaint = file_complaint(settings, submission, now=NOW - timedelta(hours=i)).complaint
        codes.append(complaint.tracking_code)
        route_to(settings, complaint.tracking_code, "PUPR", NOW)
    act_on(
        settings,
        codes[0],
        workflow.Action.NOTE,
        actor=workflow.Actor.staff(user_id),
        now=NOW,
        note="Cek lokasi minggu ini.",
    )
    other = file_complaint(settings, Submission(text="Lampu lalu lintas mati di simpang"), now=NOW)
    route_to(settings, other.complaint.tracking_code, "DISHUB", NOW)
    with Session(db.engine_for(settings.database_url)) as session:
        notices = list(session.exec(select(Notification.id).where(Notification.channel == "inapp")))
    return {
        "token": token,
        "headers": {"Authorization": f"Bearer {token}"},
        "codes": [tracking.display(c) for c in codes],
        "other": tracking.display(other.complaint.tracking_code),
        "notices": notices,
    }


def _document(client) -> dict:
    response = client.get(DOCUMENT)
    assert response.status_code == 200, response.text
    return response.get_json()


def test_the_document_is_public_valid_openapi_and_opens_nothing_else(client):
    response = client.get(DOCUMENT)
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    schema = schemathesis.openapi.from_dict(document)
    labels = [result.ok().label for result in schema.get_all_operations()]
    assert "GET /complaints" in labels and "POST /notices/read" in labels
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert document["security"] == [{"bearer": []}]
    # The endpoints still want a token, and a bad one is refused in the documented shape.
    for path in ("/complaints", "/notices", "/complaints/openapi.json"):
        refused = client.get(PREFIX + path, headers={"Authorization": "Bearer nope"})
        assert refused.status_code == 401, path
        assert refused.get_json()["error"]["code"] == "unauthorized"


def _openapi_path(rule: str) -> str:
    """/api/v1/staff/complaints/<code> as the document writes it: /complaints/{code}."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(PREFIX))


def test_every_route_of_the_staff_blueprint_is_documented_and_nothing_else(app):
    document = _document(app.test_client())
    routes = {
        (method.lower(), _openapi_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff_api.") and rule.endpoint != "staff_api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert routes == documented
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["description"], (method, path)
            assert "401" in operation["responses"], (method, path)
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)


def test_the_request_bodies_are_the_pydantic_models(client):
    document = _document(client)
    components = document["components"]["schemas"]
    for model in schemas.STAFF_BODIES:
        generated = model.model_json_schema(ref_template=schemas.REF_TEMPLATE)
        assert components[model.__name__] == generated
    bodies = {
        (method, path): operation["requestBody"]["content"]["application/json"]["schema"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    }
    assert bodies == {
        ("post", "/complaints/actions"): schemas.ref(schemas.BulkActionBody),
        ("post", "/complaints/{code}/actions"): schemas.ref(schemas.StaffActionBody),
        ("post", "/notices/read"): schemas.ref(schemas.ReadNotices),
    }
    # Each role's actions are in the action's description, from the same table the rules use.
    action = document["paths"]["/complaints/{code}/actions"]["post"]["description"]
    assert "- `officer`" in action and "respond" in action and "- `supervisor`" in action


def _resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _undocumented(value, schema: dict, document: dict, where: str = "") -> list[str]:
    """The keys of an answer that its schema does not name, by path."""
    schema = _resolve(schema, document)
    found = []
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                found.append(f"{where}.{key}")
            else:
                found += _undocumented(item, schema["properties"][key], document, f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            found += _undocumented(item, schema["items"], document, f"{where}[]")
    return found


def test_every_field_the_staff_api_answers_with_is_documented(client, officer):
    document = _document(client)
    headers = officer["headers"]
    first, second, third = officer["codes"]
    calls = [
        ("get", "/complaints", {"status": "all"}, None),
        ("get", f"/complaints/{first}", None, None),
        ("get", f"/complaints/{first}/similar", {"limit": "5"}, None),
        ("get", "/notices", None, None),
        ("post", "/notices/read", None, {"ids": officer["notices"][:1]}),
        ("post", f"/complaints/{second}/actions", None, {"action": "respond", "note": "Dicek."}),
        ("post", "/complaints/actions", None, {"codes": [third, "NOPE"], "action": "note"}),
    ]
    seen = set()
    for method, path, query, body in calls:
        response = client.open(
            PREFIX + path, method=method.upper(), query_string=query, json=body, headers=headers
        )
        assert response.status_code == 200, (path, response.text)
        template = next(
            p for p in document["paths"] if re.fullmatch(re.sub(r"{\w+}", "[^/]+", p), path)
        )
        operation = document["paths"][template][method]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        answer = response.get_json()
        assert _undocumented(answer, schema, document) == [], (method, path)
        seen.add((method, template))
        if path == f"/complaints/{first}":
            assert answer["reporter"]["name"] == "Siti"
            assert [e["actor_name"] for e in answer["events"]][-1] == "Petugas PUPR"
    assert len(seen) == len(calls)


def realistic_cases(operation, document: dict, officer: dict):
    """The operation's generated requests, many of them naming the officer's real complaints
    and notices (random codes would never hit one) or sending the document's own examples of
    the body (random bodies would hardly ever make an action that the rules allow)."""
    codes = officer["codes"] + [officer["other"]]
    definition = document["paths"][operation.path][operation.method.lower()]
    body = definition.get("requestBody", {}).get("content", {}).get("application/json", {})
    examples = _resolve(body["schema"], document).get("examples", []) if body else []
    none = st.just(None)
    choices = {
        "code": st.sampled_from(codes) | none if "{code}" in operation.path else none,
        "body": st.sampled_from(examples) | none if examples else none,
        "codes": st.lists(st.sampled_from(codes), min_size=1, max_size=4) | none,
        "ids": st.lists(st.sampled_from(officer["notices"]), min_size=1, max_size=3) | none,
    }

    def realistic(pair):
        case, chosen = pair
        if chosen["code"] is not None:
            case.path_parameters = {**case.path_parameters, "code": chosen["code"]}
        if chosen["body"] is not None:
            case.body = dict(chosen["body"])
        if isinstance(case.body, dict):
            for key in ("codes", "ids"):
                if key in case.body and chosen[key] is not None:
                    case.body = {**case.body, key: chosen[key]}
        return case

    return st.tuples(operation.as_strategy(), st.fixed_dictionaries(choices)).map(realistic)


# Dates at the ends of the calendar (the day after 9999-12-31 and local midnight of 0001-01-01
# in UTC do not exist) once made lapor/web/listing.py answer 500.
LISTING_500 = {"from": "0001-01-01", "to": "9999-12-31"}


@pytest.mark.slow  # a few hundred generated requests on each backend
def test_the_staff_api_keeps_its_promises_to_any_client(app, officer):
    schema = schemathesis.openapi.from_wsgi(DOCUMENT, app)
    document = _document(app.test_client())
    tried = drive(
        schema,
        lambda operation: realistic_cases(operation, document, officer),
        examples=25,
        headers=officer["headers"],
    )
    assert len(tried) >= 7 * 25
    assert_each_operation_succeeded(tried)


def test_what_schemathesis_found_is_refused_or_ignored_not_a_500(client, officer):
    """Found by fuzzing the staff API: notice ids beyond any key (the database cannot compare
    them), and text the database cannot store (NUL on PostgreSQL, lone surrogates anywhere)."""
    headers = officer["headers"]
    read = client.post("/api/v1/staff/notices/read", json={"ids": [2**31, 10**30]}, headers=headers)
    assert read.status_code == 200 and read.get_json()["marked"] == 0
    mine = client.get("/api/v1/staff/notices", headers=headers).get_json()["notices"][0]["id"]
    read = client.post("/api/v1/staff/notices/read", json={"ids": [2**63, mine]}, headers=headers)
    assert read.status_code == 200 and read.get_json()["marked"] == 1
    path = f"/api/v1/staff/complaints/{officer['codes'][0]}/actions"
    for body, field in [
        ({"action": "transfer", "agency": "PU\u0000PR", "note": "Bukan urusan kami."}, "agency"),
        ({"action": "note", "note": "Cek \ud800 lokasi"}, "note"),
        ({"action": "forward", "forwarded_to": "BPN\u0000"}, "forwarded_to"),
    ]:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert list(response.get_json()["error"]["fields"]) == [field]
    bulk = {"codes": officer["codes"][:1], "action": "note", "note": "\udfff"}
    response = client.post("/api/v1/staff/complaints/actions", json=bulk, headers=headers)
    assert response.status_code == 400 and "note" in response.get_json()["error"]["fields"]


def test_the_list_refuses_what_it_cannot_read(client, officer):
    """Non-ASCII digits (int("²") fails after str.isdigit() said yes) and the dates at the ends
    of the calendar are a 400 naming the parameter, in the console's lists and here."""
    queries = [*({name: value} for name, value in LISTING_500.items())]
    queries += [{"page": "²"}, {"per_page": "³"}, {"level": "¹"}]
    for query in queries:
        response = client.get(
            "/api/v1/staff/complaints", query_string=query, headers=officer["headers"]
        )
        assert response.status_code == 400, query
        assert set(response.get_json()["error"]["fields"]) == set(query)
