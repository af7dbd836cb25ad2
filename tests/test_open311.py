"""Open311 GeoReport v2 endpoints, checked against the spec's field names."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from sqlmodel import select

from lapor.domain.intake import Submission, submit
from lapor.domain.timefmt import utcnow
from models import Complaint, ComplaintEvent, ComplaintStatus

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
    assert endpoint["formats"] == ["text/xml", "application/json"]
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
        assert service["type"] == "realtime"  # metadata: tests/test_open311_attributes.py
    definition = client.get("/open311/v2/services/DISHUB.json").get_json()
    assert definition == {"service_code": "DISHUB", "attributes": []}
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
    week_ago = (utcnow() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = client.get(f"/open311/v2/requests.json?start_date={week_ago}")
    assert len(recent.get_json()) == 2
    # A window that ends before they came in (start_date alone means 90 days from it).
    old = client.get("/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z")
    assert old.get_json() == []


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


# --- the spec exactly, in both formats ----------------------------------------------------


def xml(response) -> ElementTree.Element:
    assert response.mimetype == "text/xml", response.get_data(as_text=True)
    return ElementTree.fromstring(response.get_data())


def test_every_endpoint_answers_in_xml_with_the_specs_elements(client):
    discovery = xml(client.get("/open311/v2/discovery.xml"))
    assert discovery.tag == "discovery"
    endpoint = discovery.find("endpoints/endpoint")
    assert endpoint.findtext("specification").endswith("GeoReport_v2")
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    services = xml(client.get("/open311/v2/services.xml"))
    assert services.tag == "services"
    codes = [s.findtext("service_code") for s in services.findall("service")]
    assert "PUPR" in codes and "UMUM" in codes
    assert services.find("service/metadata").text == "false"
    definition = xml(client.get("/open311/v2/services/PUPR.xml"))
    assert definition.tag == "service_definition" and definition.find("attributes") is not None
    created = client.post(
        "/open311/v2/requests.xml",
        data={"service_code": "PUPR", "lat": "-2.21", "long": "113.91",
              "description": "Jalan <rusak> & berlubang \"parah\" di depan sekolah"},
    )  # fmt: skip
    assert created.status_code == 201
    answer = xml(created)
    assert answer.tag == "service_requests"
    code = answer.findtext("request/service_request_id")
    assert answer.find("request/account_id") is not None
    listed = xml(client.get("/open311/v2/requests.xml"))
    [request] = listed.findall("request")
    assert {child.tag for child in request} == REQUEST_FIELDS
    assert request.findtext("description") == (
        'Jalan <rusak> & berlubang "parah" di depan sekolah'
    )  # escaped on the way out, whole on the way back
    single = xml(client.get(f"/open311/v2/requests/{code}.xml"))
    assert single.findtext("request/service_request_id") == code


def test_errors_come_in_the_format_asked_for(client):
    missing = client.get("/open311/v2/requests/ABCDE-FGHJK.xml")
    assert missing.status_code == 404
    error = xml(missing).find("error")
    assert error.findtext("code") == "404" and "service_request_id" in error.findtext("description")
    bad = client.post("/open311/v2/requests.xml", data={"service_code": "PUPR", "lat": "-2.2"})
    assert bad.status_code == 400
    assert xml(bad).findtext("error/description") == "lat dan long harus dikirim bersama."
    as_json = client.post("/open311/v2/requests.json", data={"service_code": "PUPR",
                          "lat": "-2.2", "long": "113.9", "description": "x"})  # fmt: skip
    [problem] = as_json.get_json()
    assert problem["code"] == 400 and problem["description"].startswith("description:")
    assert xml(client.get("/open311/v2/tidak-ada.xml")).tag == "errors"


@pytest.mark.parametrize(
    "query, says",
    [
        ("start_date=9999-12-31T23:59:59-14:00", "start_date"),
        ("end_date=0001-01-01T00:00:00%2B14:00", "end_date"),
        ("start_date=2026-12-01T00:00:00", "start_date"),  # no zone
        ("start_date=%D9%A2%D9%A0%D9%A2%D9%A6-01-01T00:00:00Z", "start_date"),  # Arabic digits
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z", "90 hari"),
        ("start_date=2026-12-01T00:00:00Z&end_date=2026-11-01T00:00:00Z", "sebelum"),
        ("status=open,pending", "status"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_dates_and_statuses_out_of_the_spec_are_a_400_never_a_500(client, query, says, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}?{query}")
    assert response.status_code == 400
    description = (
        response.get_json()[0]["description"]
        if fmt == "json"
        else xml(response).findtext("error/description")
    )
    assert says in description


def test_the_filters_work_as_the_spec_says(client, session):
    pupr = post(client).get_json()[0]["service_request_id"]
    general = post(client, service_code="UMUM", description="Dugaan pungli di kantor desa kami")
    general = general.get_json()[0]["service_request_id"]
    closed = post(client, description="Lampu jalan mati di Jalan Ahmad Yani sejak kemarin")
    closed = closed.get_json()[0]["service_request_id"]
    row = session.exec(select(Complaint).where(Complaint.tracking_code == closed)).one()
    row.status = ComplaintStatus.CLOSED
    session.add(row)
    session.commit()

    def codes(query: str) -> set[str]:
        answer = client.get(f"/open311/v2/requests.json?{query}")
        assert answer.status_code == 200, answer.get_json()
        return {r["service_request_id"] for r in answer.get_json()}

    # service_code is the service filed under, whatever OPD the complaint reached.
    assert codes("service_code=UMUM") == {general}
    assert codes("service_code=PUPR,UMUM") == {pupr, general, closed}
    assert codes("status=open") == {pupr, general}
    assert codes("status=open,closed") == {pupr, general, closed}
    assert codes("status=closed") == {closed}
    # service_request_id overrides every other filter, and takes a comma list.
    assert codes(f"service_request_id={pupr},{closed}&status=open&service_code=UMUM") == {
        pupr,
        closed,
    }
    [one] = client.get(f"/open311/v2/requests/{general}.json").get_json()
    assert one["service_code"] == "UMUM" and one["expected_datetime"].endswith("Z")
    assert one["requested_datetime"].endswith("Z")


def test_the_latest_public_answer_is_the_status_notes(client, settings):
    from lapor.domain import workflow

    from support import act_on, route_to

    code = post(client).get_json()[0]["service_request_id"]
    route_to(settings, code, "PUPR", utcnow())
    act_on(settings, code, workflow.Action.RESPOND, actor=workflow.Actor.staff(None),
           now=utcnow(), note="Tim akan memperbaiki jembatan pekan depan.")  # fmt: skip
    act_on(settings, code, workflow.Action.NOTE, actor=workflow.Actor.staff(None),
           now=utcnow(), note="Catatan internal: anggaran menunggu.")  # fmt: skip
    [one] = client.get(f"/open311/v2/requests/{code}.json").get_json()
    assert one["status_notes"] == "Tim akan memperbaiki jembatan pekan depan."
    assert one["agency_responsible"].startswith("Dinas Pekerjaan Umum")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_token_lookup_names_the_request(client, fmt):
    code = post(client).get_json()[0]["service_request_id"]
    answer = client.get(f"/open311/v2/tokens/{code}.{fmt}")
    assert answer.status_code == 200
    if fmt == "json":
        assert answer.get_json() == [{"service_request_id": code, "token": code}]
    else:
        assert xml(answer).findtext("request/service_request_id") == code
    assert client.get(f"/open311/v2/tokens/TIDAK-ADA.{fmt}").status_code == 404
