"""Open311 driven by clients other people wrote, against a live server: the `georeport`
library (JSON and XML), the `three` library (JSON: its XML mode is Python 2 only), and the
exact requests FixMyStreet's Open311.pm sends, its answers read the way XML::Simple reads
them (the root element dropped, a repeated element an array, an empty one a hash)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
import requests

NOW = datetime.now(UTC)
FMS_DESCRIPTION = """title:  Jembatan kayu rusak

detail: Papan jembatan di Desa Tumbang Talaken patah, anak sekolah terpaksa memutar jauh.

url: https://fixmystreet.example.id/report/4711

Submitted via FixMyStreet
"""


@pytest.fixture
def open311(live_url):
    return f"{live_url}/open311/v2"


def test_the_georeport_library_reads_every_endpoint_in_json_and_xml(open311):
    from georeport import GeoReport

    created = requests.post(
        f"{open311}/requests.json",
        data={"service_code": "PUPR", "lat": "-1.2", "long": "113.4",
              "description": "Jalan provinsi berlubang besar di km 12, sudah dua bulan"},
        timeout=10,
    )  # fmt: skip
    code = created.json()[0]["service_request_id"]
    for output in ("json", "xml"):
        client = GeoReport(open311, output_format=output)
        services = client.get_service_list()
        assert {"PUPR", "UMUM"} <= {s["service_code"] for s in services}
        assert client.get_service_definition("PUPR")["service_code"] == "PUPR"
        listed = client.get_service_requests(status="open")
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one is a dict
        assert [r["service_request_id"] for r in listed] == [code]
        one = client.get_service_request(code)
        assert one["service_code"] == "PUPR" and one["status"] == "open"
        assert one["requested_datetime"].endswith("Z")


def test_the_three_library_files_and_follows_a_request(open311):
    itertools.ifilter = filter  # three 0.8 is Python 2 code: its one missing name, given here
    from three import Three

    client = Three(open311)
    assert "PUPR" in {s["service_code"] for s in client.services()}
    # three sends api_key="" when it has none: an empty key is no key.
    answer = client.post(
        "PUPR", lat="-2.2", long="113.9", address="Jl. Tjilik Riwut km 5",
        description="Lampu penerangan jalan mati sepanjang 200 meter, rawan kecelakaan",
    )  # fmt: skip
    assert client.post_response.status_code == 201, answer
    code = answer[0]["service_request_id"]
    assert [r["service_request_id"] for r in client.requests()] == [code]
    [one] = client.request(code)
    assert one["address"] == "Jl. Tjilik Riwut km 5"


def xml_simple(text: bytes) -> dict | str:
    """What XML::Simple's XMLin makes of a document (FixMyStreet's parser): the root element
    dropped, a repeated child an array, an element with only text its text, an empty one {}."""

    def value(element: ElementTree.Element):
        children = list(element)
        if not children:
            return element.text if element.text else {}
        folded: dict = {}
        for child in children:
            if child.tag in folded:
                if not isinstance(folded[child.tag], list):
                    folded[child.tag] = [folded[child.tag]]
                folded[child.tag].append(value(child))
            else:
                folded[child.tag] = value(child)
        return folded

    return value(ElementTree.fromstring(text))


class FixMyStreet:
    """The HTTP requests of FixMyStreet's perllib/Open311.pm, made the way it makes them:
    `_get` adds jurisdiction_id to every query, `_post` sends jurisdiction_id and api_key
    before the parameters, every path is the .xml one."""

    def __init__(self, endpoint: str, jurisdiction: str = "", api_key: str = "") -> None:
        self.endpoint, self.jurisdiction, self.api_key = endpoint + "/", jurisdiction, api_key

    def get(self, path: str, params: dict | None = None):
        query = {**(params or {}), "jurisdiction_id": self.jurisdiction}
        response = requests.get(self.endpoint + path, params=query, timeout=10)
        return response, xml_simple(response.content)

    def post(self, path: str, params: dict):
        fields = [("jurisdiction_id", self.jurisdiction), ("api_key", self.api_key)]
        response = requests.post(
            self.endpoint + path, data=fields + list(params.items()), timeout=10
        )
        return response, xml_simple(response.content)

    def send_service_request(self, service_code: str, **extra) -> str | None:
        """_populate_service_request_params, then `$obj->{request}->{service_request_id}`."""
        params = {
            "email": "siti.rahma@example.id",
            "description": FMS_DESCRIPTION,
            "service_code": service_code,
            "first_name": "Siti",
            "last_name": "Rahma",
            "lat": "-1.7512",
            "long": "113.6411",
            **extra,
        }
        response, obj = self.post("requests.xml", params)
        if response.status_code != 201:
            return None
        return obj["request"]["service_request_id"]


def test_fixmystreet_files_reads_back_and_gets_its_errors_as_it_parses_them(open311):
    fms = FixMyStreet(open311)
    _, services = fms.get("services.xml")
    codes = [s["service_code"] for s in services["service"]]
    assert "PUPR" in codes and "UMUM" in codes
    _, meta = fms.get("services/PUPR.xml")
    assert meta["service_code"] == "PUPR"

    first = fms.send_service_request("PUPR", phone="081234567890")
    # A report not put on the map: FixMyStreet says so with address_id, and still sends a spot.
    second = fms.send_service_request("UMUM", address_id="#NOTPINPOINTED#")
    assert first and second and first != second

    # get_service_requests: the ids it knows, comma-joined; one request is a hash, two an array.
    _, one = fms.get("requests.xml", {"service_request_id": first})
    assert one["request"]["service_request_id"] == first
    assert one["request"]["service_code"] == "PUPR"
    assert one["request"]["description"] == FMS_DESCRIPTION.strip()
    assert one["request"]["zipcode"] == {}  # an empty element, as XML::Simple gives it
    _, both = fms.get("requests.xml", {"service_request_id": f"{first},{second}"})
    assert sorted(r["service_request_id"] for r in both["request"]) == sorted([first, second])
    start = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _, recent = fms.get("requests.xml", {"start_date": start, "status": "open,closed"})
    assert len(recent["request"]) == 2

    # _process_error: `$obj->{error}`, each with code and description.
    refused, error = fms.post("requests.xml", {"service_code": "TIDAK-ADA", "description": "x"})
    assert refused.status_code == 404
    assert error["error"]["code"] == "404" and "service_code" in error["error"]["description"]
    refused, error = fms.post("requests.xml", {"service_code": "PUPR", "lat": "-1.7"})
    assert refused.status_code == 400 and "long" in error["error"]["description"]


def test_fixmystreet_configured_as_the_docs_say_follows_answers_and_sends_comments(
    open311, settings
):
    """docs/open311.md's settings (jurisdiction 62, a key): FixMyStreet files, fetches the
    OPD's answer from servicerequestupdates.xml, and posts its user's reply once."""
    from lapor.domain import workflow
    from lapor.domain.timefmt import utcnow
    from lapor.infra import db
    from lapor.services import integrators

    from support import act_on, route_to

    key = db.run_in_transaction(
        settings,
        lambda s: integrators.create(s, "fixmystreet-kalteng", now=utcnow(), per_minute=300),
    )
    fms = FixMyStreet(open311, jurisdiction="62", api_key=key)
    code = fms.send_service_request("PUPR")
    assert code
    route_to(settings, code, "PUPR", utcnow())
    act_on(settings, code, workflow.Action.REQUEST_INFO, actor=workflow.Actor.staff(None),
           now=utcnow(), note="Mohon kirim nama desa dan patokan terdekat.")  # fmt: skip

    # get_service_request_updates: `$obj->{request_update}`, a hash for one, an array for more.
    start = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response, obj = fms.get("servicerequestupdates.xml", {"start_date": start, "api_key": key})
    assert response.status_code == 200, response.text
    updates = obj["request_update"]
    updates = updates if isinstance(updates, list) else [updates]
    asked = [u for u in updates if u["service_request_id"] == code][-1]
    assert asked["status"] == "INVESTIGATING"
    assert asked["description"] == "Mohon kirim nama desa dan patokan terdekat."
    assert asked["updated_datetime"].endswith("Z") and asked["update_id"]

    # post_service_request_update: its user's reply, posted twice (a retry): one answer.
    reply = {
        "update_id": "fms-comment-9001",
        "updated_datetime": NOW.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "service_request_id": code,
        "status": "OPEN",
        "email": "siti.rahma@example.id",
        "description": "Desa Tumbang Talaken, dekat SDN 2, sebelah masjid.",
        "first_name": "Siti",
        "last_name": "Rahma",
    }
    first, obj = fms.post("servicerequestupdates.xml", reply)
    assert first.status_code == 200, first.text
    update_id = obj["request_update"]["update_id"]
    assert update_id and not isinstance(update_id, dict)  # FixMyStreet checks for a hash
    again, obj = fms.post("servicerequestupdates.xml", reply)
    assert obj["request_update"]["update_id"] == update_id
    _, request = fms.get("requests.xml", {"service_request_id": code})
    assert request["request"]["status"] == "open"
    with db.session_scope(settings) as session:
        from sqlmodel import select

        from models import Complaint, ComplaintEvent

        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        answers = session.exec(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint.id,
                ComplaintEvent.action == "provide_info",
            )
        ).all()
        assert len(answers) == 1 and complaint.status == "routed"
