"""The admin JSON API (/api/v1/admin): an admin's bearer token, the pages' rules, every change
audited with the token's owner as the actor and seen by this process at once; its OpenAPI
document is public, complete and true (schemathesis finds no 500 and no broken promise)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import schemathesis
from api_drive import assert_each_operation_succeeded, drive
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from lapor import create_app
from lapor.domain.registry import FIELDS
from lapor.infra import db, directory
from lapor.services import accounts, effects
from lapor.web import schemas
from models import Agency, ConfigChange, DayOff, Role, User

PREFIX = "/api/v1/admin"
DOCUMENT = PREFIX + "/openapi.json"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
PASSWORD = "kata-sandi-panjang"
NEW_AGENCY = {
    "code": "DISPERTA",
    "name": "Dinas Pertanian Provinsi Kalimantan Tengah",
    "short_name": "Dispertan",
    "kind": "dinas",
    "parent": "SETDA",
}


@pytest.fixture
def app(settings):
    app = create_app(settings.with_overrides({"RATELIMIT_ENABLED": False}))
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def tokens(settings) -> dict[str, dict]:
    """Headers with the token of an admin ("rina") and of a supervisor ("sari")."""
    headers = {}
    with Session(db.engine_for(settings.database_url)) as session:
        for name, role in (("rina", Role.ADMIN), ("sari", Role.SUPERVISOR)):
            accounts.create_user(session, username=name, password=PASSWORD, role=role, now=NOW)
            token = accounts.create_token(session, name, now=NOW)
            headers[name] = {"Authorization": f"Bearer {token}"}
        session.commit()
    return headers


@pytest.fixture
def api(client, tokens):
    """Call the admin API with the admin's token: api("get", "/agencies", json=…)."""

    def call(method: str, path: str, **options):
        return client.open(PREFIX + path, method=method.upper(), headers=tokens["rina"], **options)

    return call


def audit_rows(settings, subject: str | None = None) -> list[ConfigChange]:
    with Session(db.engine_for(settings.database_url)) as session:
        query = select(ConfigChange).order_by(ConfigChange.id)
        if subject:
            query = query.where(ConfigChange.subject == subject)
        return list(session.exec(query))


def agency_count(settings) -> int:
    with Session(db.engine_for(settings.database_url)) as session:
        return session.exec(select(func.count()).select_from(Agency)).one()


def assert_error(response, status: int, code: str, fields: set[str] | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"], error
    if fields is not None:
        assert set(error["fields"]) == fields, error
    return error


# --- tokens ----------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/agencies"),
    ("post", "/agencies"),
    ("patch", "/agencies/DISHUB"),
    ("get", "/sla"),
    ("put", "/sla"),
    ("get", "/holidays"),
    ("post", "/holidays"),
    ("delete", "/holidays/2031-05-23"),
    ("get", "/audit"),
]


def test_only_an_admins_token_opens_the_admin_api(client, settings, tokens):
    for method, path in ENDPOINTS:
        call = {"method": method.upper(), "json": {}}
        missing = client.open(PREFIX + path, **call)
        error = assert_error(missing, 401, "unauthorized")
        assert error["message"] == "Token API tidak ada atau tidak berlaku."
        wrong = client.open(PREFIX + path, headers={"Authorization": "Bearer lpr_salah"}, **call)
        assert_error(wrong, 401, "unauthorized")
        basic = client.open(PREFIX + path, headers={"Authorization": "Basic cmluYTp4"}, **call)
        assert_error(basic, 401, "unauthorized")
        staff = client.open(PREFIX + path, headers=tokens["sari"], **call)
        assert "bukan milik admin" in assert_error(staff, 403, "forbidden")["message"]
    assert audit_rows(settings) == []
    with Session(db.engine_for(settings.database_url)) as session:
        rina = session.exec(select(User).where(User.username == "rina")).one()
        rina.active = False
        session.add(rina)
        session.commit()
    off = client.get(PREFIX + "/agencies", headers=tokens["rina"])
    assert_error(off, 401, "unauthorized")
    assert client.get(DOCUMENT).status_code == 200  # the description needs no token


# --- the registry ----------------------------------------------------------------------------


def test_the_registry_is_listed_with_the_fields_of_agencies_yaml(api, settings):
    response = api("get", "/agencies")
    assert response.status_code == 200
    entries = response.get_json()["agencies"]
    assert len(entries) == agency_count(settings)
    assert all(set(entry) == set(FIELDS) for entry in entries)
    by_code = {entry["code"]: entry for entry in entries}
    assert by_code["GUB"]["parent"] is None and by_code["SETDA"]["parent"] == "GUB"
    assert by_code["DISHUB"] | {"email": None} == {
        "code": "DISHUB",
        "name": "Dinas Perhubungan Provinsi Kalimantan Tengah",
        "short_name": "Dishub",
        "kind": "dinas",
        "parent": "SETDA",
        "email": None,
        "telegram_chat": by_code["DISHUB"]["telegram_chat"],
        "active": True,
    }
    codes = [entry["code"] for entry in entries]
    assert codes.index("SETDA") < codes.index("DISHUB")  # parents first


def test_an_admin_adds_an_opd_and_this_process_sees_it_at_once(api, settings):
    before = agency_count(settings)
    directory.config.snapshot(settings)  # this process has a copy from before
    added = api("post", "/agencies", json=NEW_AGENCY)
    assert added.status_code == 201, added.text
    entry = added.get_json()
    assert entry == {**NEW_AGENCY, "email": None, "telegram_chat": None, "active": True}
    assert agency_count(settings) == before + 1
    assert "DISPERTA" in directory.config.snapshot(settings).agencies
    assert "DISPERTA" in [e["code"] for e in api("get", "/agencies").get_json()["agencies"]]
    [row] = audit_rows(settings, "agency")
    assert (row.action, row.key, row.actor, row.before) == ("create", "DISPERTA", "rina", None)
    assert row.after["parent"] == "SETDA"


REFUSED_AGENCIES = [
    ({**NEW_AGENCY, "code": "SETDA"}, 409, {"code"}),
    ({**NEW_AGENCY, "code": "dinas pertanian!"}, 422, {"code"}),
    ({**NEW_AGENCY, "parent": "TIDAKADA"}, 422, {"parent"}),
    ({**NEW_AGENCY, "kind": "external"}, 422, {"parent"}),
    ({**NEW_AGENCY, "kind": "kementerian"}, 422, {"kind"}),
    ({**NEW_AGENCY, "name": "ab", "email": "bukan-email"}, 422, {"name", "email"}),
    ({**NEW_AGENCY, "name": 5}, 422, {"name"}),
    ({**NEW_AGENCY, "telegram_chat": "dua"}, 422, {"telegram_chat"}),
    ({**NEW_AGENCY, "kepala": "Budi"}, 422, {"kepala"}),
    ({"name": "Dinas Baru", "kind": "dinas"}, 422, {"code"}),
]


def test_a_refused_opd_names_its_fields_and_writes_nothing(api, settings):
    before = agency_count(settings)
    for body, status, fields in REFUSED_AGENCIES:
        response = api("post", "/agencies", json=body)
        assert_error(response, status, "validation_failed", fields)
    assert agency_count(settings) == before and audit_rows(settings) == []


BAD_BODIES = [
    ("not json", "application/json", set()),
    ("[1, 2]", "application/json", set()),
    ('"teks"', "application/json", set()),
    ('{"code": "X"}', "text/plain", set()),
    ("[" * 50_000 + "]" * 50_000, "application/json", set()),
    ('{"x": ' + "[" * 990 + "]" * 990 + "}", "application/json", set()),
    ('{"code": "DIS\\u0000TAN", "name": "Dinas", "kind": "dinas"}', None, {"code"}),
    ('{"code": "DISTAN", "name": "Dinas \\ud800", "kind": "dinas"}', None, {"name"}),
    ('{"code": "DISTAN", "name": "Dinas", "kind": "dinas", "x": [NaN]}', None, {"x.0"}),
]


def test_a_body_that_is_no_json_object_is_a_400_never_a_500(api, settings):
    for data, content_type, fields in BAD_BODIES:
        for method, path in (("post", "/agencies"), ("patch", "/agencies/DISHUB"), ("put", "/sla")):
            response = api(method, path, data=data, content_type=content_type or "application/json")
            error = assert_error(response, 400, "bad_request", fields)
            assert "JSON" in error["message"] or fields
    assert audit_rows(settings) == []


def test_an_opd_is_changed_in_part_moved_and_refused_a_cycle(api, settings):
    renamed = api("patch", "/agencies/dishub", json={"short_name": "Dishub Kalteng"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.get_json()["short_name"] == "Dishub Kalteng"
    assert renamed.get_json()["name"] == "Dinas Perhubungan Provinsi Kalimantan Tengah"
    moved = api("patch", "/agencies/DISHUB", json={"parent": "BIRO-EKON", "code": "DISHUB"})
    assert moved.status_code == 200 and moved.get_json()["parent"] == "BIRO-EKON"
    assert directory.config.snapshot(settings).agencies["DISHUB"].short_name == "Dishub Kalteng"
    cycle = api("patch", "/agencies/GUB", json={"parent": "DISHUB"})
    error = assert_error(cycle, 422, "validation_failed", {"parent"})
    assert "berputar" in error["fields"]["parent"]
    assert [(r.action, r.key) for r in audit_rows(settings, "agency")] == [
        ("update", "DISHUB"),
        ("move", "DISHUB"),
    ]


REFUSED_CHANGES = [
    ("/agencies/TIDAKADA", {"name": "Nama Baru"}, 404, "not_found", set()),
    ("/agencies/DIS%00HUB", {"name": "Nama Baru"}, 404, "not_found", set()),
    ("/agencies/DISHUB", {"code": "DISHUB2"}, 422, "validation_failed", {"code"}),
    ("/agencies/DISHUB", {"name": None}, 422, "validation_failed", {"name"}),
    ("/agencies/DISHUB", {"active": "tidak"}, 422, "validation_failed", {"active"}),
    ("/agencies/DISHUB", {"parent": "DISHUB"}, 422, "validation_failed", {"parent"}),
    ("/agencies/SETDA", {"active": False}, 409, "has_active_children", set()),
    ("/agencies/DISHUB", [], 400, "bad_request", set()),
]


def test_a_refused_change_to_an_opd_says_why(api, settings):
    for path, body, status, code, fields in REFUSED_CHANGES:
        assert_error(api("patch", path, json=body), status, code, fields)
    assert audit_rows(settings) == []


# --- the SLA policy --------------------------------------------------------------------------


def test_the_policy_comes_back_unchanged_from_a_get_and_put(api, settings):
    api("post", "/holidays", json={"date": "2031-05-23", "reason": "Cuti daerah"})
    audited = len(audit_rows(settings))
    document = api("get", "/sla").get_json()
    assert document["defaults"]["response_days"] == 5
    assert document["triage_agency"] == "DISKOMINFOSANTIK"
    assert document["calendar"]["days_off"] == {"2031-05-23": "Cuti daerah"}
    again = api("put", "/sla", json=document)
    assert again.status_code == 200, again.text
    assert again.get_json() == document
    assert len(audit_rows(settings)) == audited
    assert api("get", "/sla").get_json() == document


def test_a_new_deadline_is_saved_audited_and_used_by_this_process(api, settings):
    document = api("get", "/sla").get_json()
    document["agencies"]["DISHUB"] = {"response_days": 2}
    document["defaults"]["reminder_hour"] = 9
    saved = api("put", "/sla", json=document)
    assert saved.status_code == 200, saved.text
    assert saved.get_json()["agencies"]["DISHUB"] == {"response_days": 2}
    policy = effects.deadlines_for(settings).book.policy_for("DISHUB", None)
    assert policy.response_days == 2 and policy.reminder_hour == 9
    [row] = audit_rows(settings, "sla")
    assert row.actor == "rina" and row.after["agencies"]["DISHUB"] == {"response_days": 2}
    assert "days_off" not in row.after.get("calendar", {})


BAD_POLICIES = [
    (lambda d: d["defaults"].update(response_days=0), "defaults.response_days"),
    (lambda d: d["defaults"].update(response_days="lima"), "defaults.response_days"),
    (lambda d: d["defaults"].update(tenggat=3), "defaults"),
    (lambda d: d["agencies"].update(TIDAKADA={"response_days": 2}), "agencies.TIDAKADA"),
    (lambda d: d.update(triage_agency="TIDAKADA"), "triage_agency"),
    (lambda d: d["escalation"][1].update(target="bupati"), "escalation[2].target"),
    (lambda d: d["calendar"].update(weekend=["jumat"]), "calendar.weekend"),
    (lambda d: d.update(lainnya=1), "lainnya"),
]


def test_a_bad_policy_is_refused_naming_the_path(api, settings):
    for change, path in BAD_POLICIES:
        document = api("get", "/sla").get_json()
        change(document)
        refused = api("put", "/sla", json=document)
        error = assert_error(refused, 422, "invalid_sla_policy")
        assert error["message"].startswith(path), error["message"]
        assert list(error["fields"]) == [path]
    assert audit_rows(settings) == []
    assert api("get", "/sla").get_json()["defaults"]["response_days"] == 5


def test_the_days_off_in_the_policy_replace_the_regional_days_off(api, settings):
    for day in ("2031-05-23", "2031-06-01"):
        api("post", "/holidays", json={"date": day, "reason": "Cuti daerah"})
    document = api("get", "/sla").get_json()
    document["calendar"]["days_off"] = {"2031-06-01": "Cuti daerah", "2031-12-24": "Cuti natal"}
    assert api("put", "/sla", json=document).status_code == 200
    listed = api("get", "/holidays").get_json()["holidays"]
    assert [h["date"] for h in listed] == ["2031-06-01", "2031-12-24"]
    short = {**document, "calendar": {**document["calendar"], "days_off": {"2031-07-01": "x"}}}
    error = assert_error(api("put", "/sla", json=short), 422, "invalid_sla_policy")
    assert error["message"].startswith("calendar.days_off.2031-07-01: Keterangan libur")
    assert [h["date"] for h in api("get", "/holidays").get_json()["holidays"]] == [
        "2031-06-01",
        "2031-12-24",
    ]


# --- regional days off -----------------------------------------------------------------------


def test_holidays_are_added_listed_and_removed(api, settings):
    added = api("post", "/holidays", json={"date": "2031-05-23", "reason": "Hari jadi provinsi"})
    assert added.status_code == 201
    assert added.get_json() == {"date": "2031-05-23", "reason": "Hari jadi provinsi"}
    api("post", "/holidays", json={"date": "2032-01-02", "reason": "Cuti daerah"})
    assert directory.config.snapshot(settings).days_off[date(2031, 5, 23)] == "Hari jadi provinsi"
    every = api("get", "/holidays").get_json()["holidays"]
    assert [h["date"] for h in every] == ["2031-05-23", "2032-01-02"]
    one_year = api("get", "/holidays", query_string={"year": "2032"}).get_json()["holidays"]
    assert one_year == [{"date": "2032-01-02", "reason": "Cuti daerah"}]
    assert api("delete", "/holidays/2031-05-23").status_code == 204
    assert date(2031, 5, 23) not in directory.config.snapshot(settings).days_off
    assert_error(api("delete", "/holidays/2031-05-23"), 404, "not_found")
    actions = [(r.action, r.key, r.actor) for r in audit_rows(settings, "holiday")]
    assert actions == [
        ("create", "2031-05-23", "rina"),
        ("create", "2032-01-02", "rina"),
        ("delete", "2031-05-23", "rina"),
    ]


REFUSED_HOLIDAYS = [
    ({"date": "2031-05-23", "reason": "Lagi"}, 409, {"date"}),
    ({"date": "2031-02-30", "reason": "Tidak ada"}, 422, {"date"}),
    ({"date": "23-05-2031", "reason": "Terbalik"}, 422, {"date"}),
    ({"date": "1999-12-31", "reason": "Dulu sekali"}, 422, {"date"}),
    ({"date": "2031-05-24", "reason": "x"}, 422, {"reason"}),
    ({"date": "2031-05-24"}, 422, {"reason"}),
    ({"date": 20310524, "reason": "Angka"}, 422, {"date"}),
    ({"date": "2031-05-24", "reason": "Libur", "kota": "Sampit"}, 422, {"kota"}),
]


def test_a_refused_holiday_names_its_fields(api, settings):
    api("post", "/holidays", json={"date": "2031-05-23", "reason": "Hari jadi provinsi"})
    for body, status, fields in REFUSED_HOLIDAYS:
        assert_error(api("post", "/holidays", json=body), status, "validation_failed", fields)
    with Session(db.engine_for(settings.database_url)) as session:
        assert session.exec(select(func.count()).select_from(DayOff)).one() == 1


def test_a_malformed_date_or_year_is_a_400(api):
    for path in ("/holidays/23-05-2031", "/holidays/2031-02-30", "/holidays/20310523"):
        assert_error(api("delete", path), 400, "bad_request", {"date"})
    for year in ("dua", "²", "1999", "99999999999999999999"):
        response = api("get", "/holidays", query_string={"year": year})
        assert_error(response, 400, "bad_request", {"year"})


# --- the audit -------------------------------------------------------------------------------


def test_the_audit_lists_what_the_api_did_with_the_token_owner_as_actor(api, settings):
    api("post", "/agencies", json=NEW_AGENCY)
    api("post", "/holidays", json={"date": "2031-05-23", "reason": "Hari jadi provinsi"})
    api("patch", "/agencies/DISPERTA", json={"email": "disperta@example.go.id"})
    listed = api("get", "/audit")
    assert listed.status_code == 200
    body = listed.get_json()
    assert (body["page"], body["pages"], body["total"]) == (1, 1, 3)
    rows = body["changes"]
    assert [(r["subject"], r["key"], r["action"], r["actor"]) for r in rows] == [
        ("agency", "DISPERTA", "update", "rina"),
        ("holiday", "2031-05-23", "create", "rina"),
        ("agency", "DISPERTA", "create", "rina"),
    ]
    assert rows[0]["before"] == {"email": None}
    assert rows[0]["after"] == {"email": "disperta@example.go.id"}
    assert rows[1]["before"] is None
    assert datetime.fromisoformat(rows[0]["at"]).utcoffset().total_seconds() == 0
    only = api("get", "/audit", query_string={"subject": "holiday", "page": "1"}).get_json()
    assert [r["key"] for r in only["changes"]] == ["2031-05-23"]
    assert_error(api("get", "/audit", query_string={"subject": "x"}), 400, "bad_request")
    for page in ("0", "dua", "³"):
        response = api("get", "/audit", query_string={"page": page})
        assert_error(response, 400, "bad_request", {"page"})


# --- the OpenAPI document --------------------------------------------------------------------


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(PREFIX))


def test_the_document_is_public_valid_and_describes_every_operation(app):
    client = app.test_client()
    response = client.get(DOCUMENT)
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    schema = schemathesis.openapi.from_dict(document)
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert "PUT /sla" in labels and "DELETE /holidays/{day}" in labels
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]
    routes = {
        (method.lower(), _openapi_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin_api.") and rule.endpoint != "admin_api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert routes == documented
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["description"], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)
            if "requestBody" in operation:
                assert "400" in operation["responses"], (method, path)
    components = document["components"]["schemas"]
    for model in schemas.ADMIN_BODIES:
        assert components[model.__name__] == model.model_json_schema(
            ref_template=schemas.REF_TEMPLATE
        )


def _realistic(operation, document: dict, examples: dict):
    """Generated requests, many naming real OPDs and days off, or sending the document's own
    example bodies (random ones would hardly ever be a valid OPD or policy)."""
    definition = document["paths"][operation.path][operation.method.lower()]
    body = definition.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "") if body else ""
    samples = examples.get((operation.method.upper(), operation.path)) or (
        document["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}).get("examples", [])
    )
    none = st.just(None)
    choices = {
        "code": st.sampled_from(["DISHUB", "SETDA", "DISPERTA", "TIDAKADA"]) | none,
        "day": st.sampled_from(["2031-05-23", "2031-02-30", "2032-01-02"]) | none,
        "body": st.sampled_from(samples) | none if samples else none,
    }

    def realistic(pair):
        case, chosen = pair
        for name in ("code", "day"):
            if chosen[name] is not None and f"{{{name}}}" in operation.path:
                case.path_parameters = {**case.path_parameters, name: chosen[name]}
        if chosen["body"] is not None:
            case.body = chosen["body"]
        return case

    return st.tuples(operation.as_strategy(), st.fixed_dictionaries(choices)).map(realistic)


@pytest.mark.slow  # a hundred or so generated requests on each backend
def test_the_admin_api_keeps_its_promises_to_any_client(app, tokens):
    schema = schemathesis.openapi.from_wsgi(DOCUMENT, app)
    client = app.test_client()
    document = client.get(DOCUMENT).get_json()
    policy = client.get(PREFIX + "/sla", headers=tokens["rina"]).get_json()
    broken = {**policy, "defaults": {**policy["defaults"], "response_days": 0}}
    examples = {("PUT", "/sla"): [policy, broken]}
    tried = drive(
        schema,
        lambda operation: _realistic(operation, document, examples),
        examples=12,
        headers=tokens["rina"],
    )
    assert_each_operation_succeeded(tried)
