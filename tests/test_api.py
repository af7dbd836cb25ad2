"""The public JSON API: filing, idempotency, errors, privacy, listing."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlmodel import func, select

from lapor import create_app
from lapor.domain import tracking
from lapor.routing.artifacts import ModelStore
from lapor.web import gunicorn_config
from models import Complaint, Reporter

VALID = {
    "title": "Jalan rusak",
    "text": "Jalan di depan SDN 2 Pahandut berlubang besar dan membahayakan pengendara motor",
    "location": {"regency": "Kota Palangka Raya", "district": "Pahandut", "address": "Jl. Murjani"},
    "contact": {"name": "Dewi Lestari", "email": "dewi@example.id", "phone": "0813 5555 1234"},
}


def post(client, body, **headers):
    return client.post(
        "/api/v1/complaints",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def count(session, model=Complaint) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def assert_error_shape(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"] and isinstance(error["fields"], dict)
    return error


def test_filing_returns_the_receipt(client, session):
    response = post(client, VALID)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {
        "tracking_code",
        "reporter_key",
        "follow_up_url",
        "status",
        "agency",
        "confidence",
        "next_deadline",
    }
    assert tracking.normalize(body["tracking_code"]) == body["tracking_code"]
    assert body["status"] == "received" and body["agency"] is None  # no model: triage
    assert response.headers["Location"].endswith(body["tracking_code"])
    stored = session.exec(select(Complaint)).one()
    assert stored.channel == "api" and stored.district == "Pahandut"


def test_keys_the_api_does_not_know_are_named_in_the_receipt(client, session):
    body = {
        "text": VALID["text"],
        "reporter": {"name": "Dewi Lestari"},  # meant: contact
        "location": {"regency": "Kota Palangka Raya", "kelurahan": "Langkai"},
        "contact": {"email": "dewi@example.id", "hp": "0813 5555 1234"},
    }
    response = post(client, body)
    assert response.status_code == 201  # filed all the same, as the API always has
    assert response.get_json()["ignored_fields"] == ["reporter", "location.kelurahan", "contact.hp"]
    assert "ignored_fields" not in post(client, VALID).get_json()


def test_only_text_is_required(client):
    response = post(client, {"text": "Sampah tidak diangkut seminggu"})
    assert response.status_code == 201


def test_a_confident_model_routes_at_intake(app, client, routed_settings):
    response = post(client, {"text": "Lampu PJU mati total di jalan raya depan sekolah, gelap"})
    body = response.get_json()
    assert response.status_code == 201
    if body["status"] == "routed":
        assert body["agency"]["code"] == "DISHUB" and body["confidence"] >= 0.5
    else:
        assert body["agency"] is None


def test_a_warmed_up_worker_loads_no_model_for_its_first_complaint(
    app, client, routed_settings, monkeypatch
):
    """gunicorn's post_worker_init loads the model (and agencies, calendar) before the first
    citizen's request, which would otherwise wait about a second for it."""
    gunicorn_config.post_worker_init(SimpleNamespace(wsgi=app))

    def load_again(*_args, **_kwargs):
        raise AssertionError("the model was loaded by a request")

    monkeypatch.setattr(ModelStore, "load", load_again)
    response = post(client, {"text": "Lampu PJU mati total di jalan raya depan sekolah, gelap"})
    assert response.status_code == 201 and response.get_json()["status"] == "routed"


def test_warm_up_passes_over_other_apps_and_a_database_not_yet_up(settings):
    gunicorn_config.post_worker_init(SimpleNamespace(wsgi=Flask("floor")))
    unreachable = dataclasses.replace(
        settings, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    gunicorn_config.post_worker_init(SimpleNamespace(wsgi=create_app(unreachable)))


def test_an_idempotent_retry_returns_the_same_complaint(client, session):
    first = post(client, VALID, **{"Idempotency-Key": "abc-123"})
    again = post(client, VALID, **{"Idempotency-Key": "abc-123"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["tracking_code"] == again.get_json()["tracking_code"]
    assert count(session) == 1
    other = post(
        client, {**VALID, "text": "Isi yang berbeda sama sekali"}, **{"Idempotency-Key": "abc-123"}
    )
    assert_error_shape(other, 409, "idempotency_conflict")
    assert count(session) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({}, "text"),
        ({"text": 42}, "text"),
        ({"text": "Jalan rusak parah", "anonymous": "ya"}, "anonymous"),
        ({"text": "Jalan rusak parah", "location": "Palangka"}, "location"),
        ({"text": "Jalan rusak parah", "location": {"lat": "x", "lon": 1}}, "location.lat"),
        ({"text": "Jalan rusak parah", "location": {"lat": 91, "lon": 1}}, "location.lat"),
        ({"text": "Jalan rusak parah", "location": {"regency": "Bandung"}}, "location.regency"),
        ({"text": "Jalan rusak parah", "contact": {"email": "bukan"}}, "contact.email"),
        ({"text": "Jalan rusak parah", "contact": {"phone": ["0812"]}}, "contact.phone"),
        ({"text": "x" * 5001}, "text"),
        (["bukan", "objek"], "body"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(client, session, body, field):
    error = assert_error_shape(post(client, body), 422, "validation_failed")
    assert field in error["fields"], error
    assert count(session) == 0


def test_messages_are_indonesian_unless_english_is_asked_for(client):
    indonesian = post(client, {"text": ""}).get_json()["error"]
    english = post(client, {"text": ""}, **{"Accept-Language": "en-US,en;q=0.9"}).get_json()
    assert "minimal" in indonesian["fields"]["text"]
    assert english["error"]["fields"]["text"].startswith("Must be at least")
    assert english["error"]["message"].startswith("Some fields")


def test_malformed_json_is_a_400(client, session):
    response = client.post("/api/v1/complaints", data="{not json", content_type="application/json")
    assert_error_shape(response, 400, "invalid_json")
    response = client.post("/api/v1/complaints", data="text=halo")
    assert_error_shape(response, 400, "invalid_json")
    assert count(session) == 0


def test_tracking_shows_status_and_timeline_but_no_identity(client):
    code = post(client, VALID).get_json()["tracking_code"]
    response = client.get(f"/api/v1/complaints/{tracking.display(code).lower()}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["tracking_code"] == code and body["status"] == "received"
    assert [e["action"] for e in body["timeline"]] == ["submit"]
    raw = response.get_data(as_text=True)
    for secret in ("Dewi", "dewi@example.id", "5555", "Murjani"):
        assert secret not in raw


def test_an_anonymous_reporter_is_stored_for_notification_but_never_shown(client, session):
    code = post(client, {**VALID, "anonymous": True}).get_json()["tracking_code"]
    assert session.exec(select(Reporter)).one().name == "Dewi Lestari"
    assert "Dewi" not in client.get(f"/api/v1/complaints/{code}").get_data(as_text=True)
    assert "Dewi" not in client.get("/api/v1/complaints").get_data(as_text=True)


def test_unknown_and_malformed_codes_are_404(client):
    assert_error_shape(client.get("/api/v1/complaints/ABCDE-FGHJK"), 404, "not_found")
    assert_error_shape(
        client.get("/api/v1/complaints/'; DROP TABLE complaint;--"), 404, "not_found"
    )
    assert_error_shape(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error_shape(client.delete("/api/v1/complaints"), 405, "method_not_allowed")


def test_the_public_list_never_shows_confidential_complaints(client):
    public = post(client, VALID).get_json()["tracking_code"]
    secret = post(client, {**VALID, "text": "Dugaan pungli oleh oknum", "confidential": True})
    secret_code = secret.get_json()["tracking_code"]
    assert client.get(f"/api/v1/complaints/{secret_code}").status_code == 200  # code holder
    listed = client.get("/api/v1/complaints").get_json()
    codes = [item["tracking_code"] for item in listed["items"]]
    assert codes == [public] and listed["total"] == 1
    assert "pungli" not in client.get("/api/v1/complaints").get_data(as_text=True)


def test_the_list_filters_and_paginates(client):
    for i in range(5):
        post(client, {**VALID, "text": f"Jalan rusak nomor {i} di kota"})
    post(client, {"text": "Jembatan putus di desa", "location": {"regency": "Kapuas"}})
    page = client.get("/api/v1/complaints?per_page=2&page=2").get_json()
    assert (page["total"], page["page"], len(page["items"])) == (6, 2, 2)
    kapuas = client.get("/api/v1/complaints?regency=kabupaten%20kapuas").get_json()
    assert kapuas["total"] == 1
    assert client.get("/api/v1/complaints?status=routed").get_json()["total"] == 0
    assert client.get("/api/v1/complaints?agency=PUPR").get_json()["total"] == 0


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=abc", "per_page=-1", "status=unknown", "page=99999999999"],
)
def test_bad_list_parameters_are_a_400(client, query):
    assert_error_shape(client.get(f"/api/v1/complaints?{query}"), 400, "validation_failed")


@pytest.mark.parametrize("value", ["' OR 1=1 --", "%' UNION SELECT * FROM app_user --", "\\x00"])
def test_injection_strings_in_filters_are_just_text(client, value):
    post(client, VALID)
    for name in ("regency", "agency"):
        response = client.get("/api/v1/complaints", query_string={name: value})
        assert response.status_code == 200 and response.get_json()["total"] == 0


def test_agencies_and_openapi(client):
    agencies = client.get("/api/v1/agencies").get_json()
    codes = {a["code"]: a for a in agencies}
    assert codes["DINKES"]["parent"] == "SETDA" and "POLDA" not in codes
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/complaints", "/complaints/{code}", "/agencies"} <= set(spec["paths"])


def test_the_receipt_names_the_verification_deadline_in_working_days(client, settings):
    from datetime import datetime

    from lapor.domain.timefmt import utcnow
    from lapor.domain.working_days import WorkingCalendar, due_at

    before = utcnow()
    body = post(client, VALID).get_json()
    deadline = datetime.fromisoformat(body["next_deadline"])
    expected = due_at(before, 3, WorkingCalendar(settings.tz))
    assert deadline == expected
    view = client.get(f"/api/v1/complaints/{body['tracking_code']}").get_json()
    assert datetime.fromisoformat(view["next_deadline"]) == expected


def test_a_lone_surrogate_in_json_is_dropped_not_a_500(client, session):
    """A JSON "\\ud800" escape is no character and no database stores one: intake drops it."""
    body = '{"text": "Jalan rusak parah sekali \\ud800 di depan pasar lama", "title": "\\udfff"}'
    response = client.post("/api/v1/complaints", data=body, content_type="application/json")
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["tracking_code"]
    from sqlmodel import select

    from models import Complaint

    stored = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
    assert stored.text.split() == "Jalan rusak parah sekali di depan pasar lama".split()
