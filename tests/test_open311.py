"""Open311 GeoReport v2 endpoints, checked against the spec's field names."""

from __future__ import annotations

from sqlmodel import select

from lapor.domain.intake import Submission, submit
from lapor.domain.timefmt import utcnow
from models import Complaint, ComplaintEvent

from support import domain_effects

EFFECTS = domain_effects()

REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def post(client, **fields):
    data = {
        "service_code": "PUPR",
        "lat": "-2.21",
        "long": "113.91",
        "description": "Jembatan kayu di desa kami rusak dan berbahaya",
        **fields,
    }
    return client.post("/open311/v2/requests.json", data=data)


def test_discovery_and_services(client):
    discovery = client.get("/open311/v2/discovery.json").get_json()
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(discovery)
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"].endswith("GeoReport_v2")
    assert endpoint["formats"] == ["application/json"]
    services = client.get("/open311/v2/services.json").get_json()
    codes = {s["service_code"] for s in services}
    assert {"UMUM", "PUPR", "DINKES"} <= codes and "POLDA" not in codes and "GUB" not in codes
    for service in services:
        assert {
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        } <= set(service)
        assert service["metadata"] is False and service["type"] == "realtime"
    definition = client.get("/open311/v2/services/PUPR.json").get_json()
    assert definition == {"service_code": "PUPR", "attributes": []}
    assert client.get("/open311/v2/services/NOPE.json").status_code == 404


def test_post_files_through_the_one_intake(client, session):
    response = post(client, email="warga@example.id", first_name="Sari")
    assert response.status_code == 201
    [created] = response.get_json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    complaint = session.exec(select(Complaint)).one()
    assert complaint.tracking_code == created["service_request_id"]
    assert complaint.channel == "open311" and complaint.lat == -2.21
    event = session.exec(select(ComplaintEvent)).one()
    assert event.data["category"] == "PUPR"


def test_post_errors_use_the_spec_format(client, session):
    for fields, status in [
        ({"service_code": ""}, 400),
        ({"service_code": "NOPE"}, 404),
        ({"lat": "", "long": ""}, 400),
        ({"lat": "abc"}, 400),
        ({"description": ""}, 400),
    ]:
        response = post(client, **fields)
        assert response.status_code == status, fields
        [error] = response.get_json()
        assert error["code"] == status and error["description"]
    assert session.exec(select(Complaint)).first() is None


def test_requests_list_and_single_use_the_spec_fields(client):
    code = post(client).get_json()[0]["service_request_id"]
    post(client, description="Dugaan pungli di kantor desa", **{"service_code": "UMUM"})
    listed = client.get("/open311/v2/requests.json").get_json()
    assert len(listed) == 2
    for item in listed:
        assert set(item) == REQUEST_FIELDS
        assert item["status"] == "open"
    [single] = client.get(f"/open311/v2/requests/{code}.json").get_json()
    assert single["service_request_id"] == code and single["service_code"] == "PUPR"
    assert client.get("/open311/v2/requests/ABCDEFGHJK.json").status_code == 404
    only = client.get(f"/open311/v2/requests.json?service_request_id={code}").get_json()
    assert [r["service_request_id"] for r in only] == [code]
    assert client.get("/open311/v2/requests.json?status=closed").get_json() == []
    assert client.get("/open311/v2/requests.json?status=bogus").status_code == 400
    assert client.get("/open311/v2/requests.json?start_date=kemarin").status_code == 400
    recent = client.get("/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z")
    assert len(recent.get_json()) == 2


def test_confidential_complaints_are_not_in_open311(client, session):
    from lapor.infra.storage import AttachmentStore

    complaint = submit(
        session,
        Submission(text="Rahasia sekali isinya", confidential=True),
        now=utcnow(),
        store=AttachmentStore(session.info.get("x", "/tmp")),
        **EFFECTS,
    ).complaint
    session.commit()
    assert client.get("/open311/v2/requests.json").get_json() == []
    assert client.get(f"/open311/v2/requests/{complaint.tracking_code}.json").status_code == 404
