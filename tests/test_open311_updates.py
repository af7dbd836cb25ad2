"""Open311 service request updates (GET and POST servicerequestupdates), as FixMyStreet's
Open311.pm sends them and reads the answers: by element names, in XML and JSON."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from sqlmodel import select

from lapor.domain import workflow
from lapor.domain.intake import Submission
from lapor.domain.timefmt import utcnow
from lapor.services.filing import file_complaint
from lapor.services.georeport_updates import FMS_STATUS, fms_status
from models import Complaint, ComplaintEvent, ComplaintStatus, Open311Update

from support import act_on, route_to

EMAIL = "warga@example.id"
UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
]
STAFF = workflow.Actor.staff(None)


def file(client, **fields) -> str:
    data = {
        "service_code": "PUPR",
        "lat": "-2.21",
        "long": "113.91",
        "email": EMAIL,
        "first_name": "Sari",
        "description": "Jembatan kayu di desa kami rusak dan berbahaya",
        **fields,
    }
    response = client.post("/open311/v2/requests.json", data=data)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()[0]["service_request_id"]


def as_fixmystreet(response) -> list[dict]:
    """The answer read as Open311.pm does: `request_update` elements, fields by name."""
    assert response.mimetype == "text/xml", response.get_data(as_text=True)
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == "service_request_updates"
    return [
        {name: (update.findtext(name) or "") for name in UPDATE_FIELDS}
        for update in root.findall("request_update")
    ]


def fetched(client, fmt: str, query: str = "") -> list[dict]:
    response = client.get(f"/open311/v2/servicerequestupdates.{fmt}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    if fmt == "xml":
        return as_fixmystreet(response)
    found = response.get_json()
    assert all(set(u) == set(UPDATE_FIELDS) for u in found)
    return [{k: v or "" for k, v in u.items()} for u in found]


def posted(client, fmt: str, **fields):
    data = {
        "update_id": "fms-101",
        "status": "OPEN",
        "updated_datetime": "2026-12-01T08:00:00+07:00",
        "description": "Jembatannya di dekat SD Negeri 3, sebelah pasar.",
        "first_name": "Sari",
        "last_name": "Wulandari",
        "email": EMAIL,
        "media_url": "",
        "api_key": "",
        **fields,
    }
    return client.post(f"/open311/v2/servicerequestupdates.{fmt}", data=data)


def answer(response, fmt: str) -> tuple[str | None, str | None]:
    """(update_id, error description) of a POST's answer, read as FixMyStreet does."""
    if fmt == "json":
        [row] = response.get_json()
        return row.get("update_id"), row.get("description")
    root = ElementTree.fromstring(response.get_data())
    return root.findtext("request_update/update_id"), root.findtext("error/description")


def complaint(session, code: str) -> Complaint:
    session.expire_all()
    return session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_officers_answer_is_an_update_and_an_internal_note_is_not(client, settings, fmt):
    code = file(client)
    route_to(settings, code, "PUPR", utcnow())
    act_on(settings, code, workflow.Action.RESPOND, actor=STAFF, now=utcnow(),
           note="Tim akan memperbaiki jembatan pekan depan.")  # fmt: skip
    act_on(settings, code, workflow.Action.NOTE, actor=STAFF, now=utcnow(),
           note="Catatan internal: anggaran menunggu.")  # fmt: skip
    # FixMyStreet asks for a window in its own zone, with its key and jurisdiction.
    start = (utcnow() + timedelta(hours=7) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    end = (utcnow() + timedelta(hours=7, minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    query = f"start_date={start}%2B07:00&end_date={end}%2B07:00&api_key=&jurisdiction_id=62"
    routed, answered = fetched(client, fmt, query)
    assert routed["service_request_id"] == answered["service_request_id"] == code
    assert routed["status"] == "OPEN" and routed["description"] == "Diteruskan otomatis ke OPD."
    assert answered["status"] == "IN_PROGRESS"
    assert answered["description"] == "Tim akan memperbaiki jembatan pekan depan."
    assert answered["updated_datetime"].endswith("Z") and answered["media_url"] == ""
    assert int(routed["update_id"]) < int(answered["update_id"])
    assert fetched(client, fmt) == [routed, answered]  # the same ids, asked again
    raw = client.get(f"/open311/v2/servicerequestupdates.{fmt}").get_data(as_text=True)
    assert "anggaran" not in raw and "Catatan internal" not in raw  # the NOTE is not there
    # A window that ends before anything happened lists nothing.
    assert (
        fetched(client, fmt, "start_date=2026-01-01T00:00:00Z&end_date=2026-01-02T00:00:00Z") == []
    )


def test_each_event_becomes_fixmystreets_state():
    def state(action, status_to, **data):
        event = ComplaintEvent(complaint_id=1, at=utcnow(), actor_kind="staff",
                               action=action.value, status_to=status_to, data=data)  # fmt: skip
        return fms_status(event)

    A, S = workflow.Action, ComplaintStatus
    assert set(FMS_STATUS) == set(S)
    assert state(A.ROUTE, S.ROUTED) == "OPEN"
    assert state(A.RESPOND, S.IN_PROGRESS) == "IN_PROGRESS"
    assert state(A.REQUEST_INFO, S.NEEDS_INFO) == "INVESTIGATING"
    assert state(A.RESOLVE, S.RESOLVED) == "FIXED"
    assert state(A.CLOSE, S.CLOSED) == "CLOSED"
    assert state(A.REOPEN, S.REOPENED) == "OPEN"
    assert state(A.TRANSFER, S.ROUTED) == "INTERNAL_REFERRAL"
    assert state(A.FORWARD, S.FORWARDED) == "NOT_COUNCILS_RESPONSIBILITY"
    assert state(A.REJECT, S.REJECTED, reason="duplicate") == "DUPLICATE"
    assert state(A.REJECT, S.REJECTED, reason="spam") == "NO_FURTHER_ACTION"


def test_a_confidential_complaints_updates_never_appear(client, settings):
    secret = Submission(text="Dugaan pungli oleh petugas kecamatan, mohon dirahasiakan",
                        confidential=True, email=EMAIL)  # fmt: skip
    code = file_complaint(settings, secret, now=utcnow()).complaint.tracking_code
    route_to(settings, code, "PUPR", utcnow())
    act_on(settings, code, workflow.Action.REQUEST_INFO, actor=STAFF, now=utcnow(),
           note="Di kantor kecamatan mana?")  # fmt: skip
    assert fetched(client, "xml") == [] and fetched(client, "json") == []
    refused = posted(client, "xml", service_request_id=code)
    assert refused.status_code == 404 and code in answer(refused, "xml")[1]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_the_citizens_answer_reaches_the_complaint_once(client, settings, session, fmt):
    code = file(client)
    route_to(settings, code, "PUPR", utcnow())
    act_on(settings, code, workflow.Action.REQUEST_INFO, actor=STAFF, now=utcnow(),
           note="Jembatan yang mana? Mohon sebutkan dusunnya.")  # fmt: skip
    [*_, asked] = fetched(client, fmt)
    assert asked["status"] == "INVESTIGATING" and asked["description"].startswith("Jembatan")
    first = posted(client, fmt, service_request_id=code, status="CLOSED")
    assert first.status_code == 200, first.get_data(as_text=True)
    again = posted(client, fmt, service_request_id=code, status="CLOSED")
    assert again.status_code == 200
    update_id, _ = answer(first, fmt)
    assert update_id and answer(again, fmt)[0] == update_id
    assert complaint(session, code).status == ComplaintStatus.ROUTED
    provided = session.exec(
        select(ComplaintEvent).where(ComplaintEvent.action == workflow.Action.PROVIDE_INFO.value)
    ).all()
    assert [str(e.id) for e in provided] == [update_id]
    assert provided[0].note == "Jembatannya di dekat SD Negeri 3, sebelah pasar."
    [row] = session.exec(select(Open311Update)).all()
    assert (row.client, row.update_id, row.event_id) == ("-", "fms-101", provided[0].id)
    # Listed back with the update_id the client got, so FixMyStreet knows it as its own; the
    # reporter's words are named, not quoted.
    [mine] = [u for u in fetched(client, fmt) if u["update_id"] == update_id]
    assert mine["status"] == "OPEN" and "Jembatannya" not in mine["description"]
    # Nothing waits for the reporter any more: a further comment has no action to become.
    late = posted(client, fmt, service_request_id=code, update_id="fms-102")
    assert late.status_code == 409 and answer(late, fmt)[1]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_status_open_reopens_a_resolved_complaint(client, settings, session, fmt):
    code = file(client)
    route_to(settings, code, "PUPR", utcnow())
    act_on(settings, code, workflow.Action.RESPOND, actor=STAFF, now=utcnow(),
           note="Kami periksa.")  # fmt: skip
    act_on(settings, code, workflow.Action.RESOLVE, actor=STAFF, now=utcnow(),
           note="Jembatan sudah diperbaiki.")  # fmt: skip
    assert fetched(client, fmt)[-1]["status"] == "FIXED"
    # CLOSED on a resolved complaint is no reopening, and no other action fits.
    agreed = posted(client, fmt, service_request_id=code, update_id="fms-7", status="CLOSED")
    assert agreed.status_code == 409
    reopened = posted(client, fmt, service_request_id=code, update_id="fms-8",
                      description="Papannya sudah lepas lagi, masih berbahaya.")  # fmt: skip
    assert reopened.status_code == 200, reopened.get_data(as_text=True)
    row = complaint(session, code)
    assert row.status == ComplaintStatus.REOPENED and row.reopen_count == 1
    assert fetched(client, fmt)[-1]["status"] == "OPEN"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_input_is_a_4xx_in_the_format_asked_for(app, client, settings, session, fmt):
    app.config["LAPOR_INTAKE_LIMIT"] = "100/minute"  # refusals count too; not this test's point
    code = file(client)
    route_to(settings, code, "PUPR", utcnow())
    act_on(settings, code, workflow.Action.REQUEST_INFO, actor=STAFF, now=utcnow(),
           note="Jembatan yang mana?")  # fmt: skip
    cases = [
        ({"update_id": ""}, 400, "update_id"),
        ({"description": " "}, 400, "description"),
        ({"service_request_id": ""}, 400, "service_request_id"),
        ({"status": "MAYBE"}, 400, "status"),
        ({"service_request_id": "ABCDEFGHJK"}, 404, "ABCDEFGHJK"),
        ({"email": "orang.lain@example.id"}, 403, "pelapor"),
        ({"email": ""}, 403, "pelapor"),
        ({"description": "ya"}, 400, "description"),
        ({"api_key": "bukan-kunci"}, 403, "api_key"),
        ({"jurisdiction_id": "bukan-daerah-ini"}, 404, "jurisdiction_id"),
    ]
    for fields, status, says in cases:
        response = posted(client, fmt, **{"service_request_id": code, **fields})
        assert response.status_code == status, (fields, response.get_data(as_text=True))
        assert says in answer(response, fmt)[1], fields
    assert complaint(session, code).status == ComplaintStatus.NEEDS_INFO
    assert session.exec(select(Open311Update)).first() is None
    for query, says in [
        ("start_date=kemarin", "start_date"),
        ("start_date=9999-12-31T23:59:59-14:00", "start_date"),
        ("end_date=2026-12-01T00:00:00", "end_date"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z", "90 hari"),
        ("api_key=bukan-kunci", "api_key"),
        ("jurisdiction_id=bukan-daerah-ini", "jurisdiction_id"),
    ]:
        response = client.get(f"/open311/v2/servicerequestupdates.{fmt}?{query}")
        assert response.status_code in (400, 403, 404), query
        if fmt == "json":
            [error] = response.get_json()
            assert error["code"] == response.status_code and says in error["description"]
        else:
            error = ElementTree.fromstring(response.get_data()).find("error")
            assert error.findtext("code") == str(response.status_code)
            assert says in error.findtext("description")


def test_an_integrator_updates_what_it_filed_under_its_own_name(client, settings, session):
    from lapor.services import integrators

    key = integrators.create(session, "fixmystreet-palangkaraya", now=utcnow())
    other = integrators.create(session, "aplikasi-lain", now=utcnow())
    session.commit()
    code = file(client, api_key=key, email="")
    route_to(settings, code, "PUPR", utcnow())
    act_on(settings, code, workflow.Action.REQUEST_INFO, actor=STAFF, now=utcnow(),
           note="Jembatan yang mana?")  # fmt: skip
    # Another integrator, no email on file: nothing proves it speaks for the reporter.
    assert (
        posted(client, "xml", service_request_id=code, api_key=other, email="").status_code == 403
    )
    done = posted(client, "xml", service_request_id=code, api_key=key, email="")
    assert done.status_code == 200, done.get_data(as_text=True)
    [row] = session.exec(select(Open311Update)).all()
    assert row.client == "fixmystreet-palangkaraya" and row.update_id == "fms-101"
    assert answer(done, "xml")[0] == str(row.event_id)
    assert complaint(session, code).status == ComplaintStatus.ROUTED
