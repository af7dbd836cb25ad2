"""Hostile input: property tests of the intake service and the state machine (hypothesis),
script payloads in every page that shows complaint text, SQL in every filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import Session, select

from lapor.domain import intake, workflow
from lapor.domain.errors import DomainError, ValidationFailed
from lapor.domain.intake import Submission, Upload
from lapor.infra import db
from lapor.infra.region import gazetteer_for
from lapor.services import accounts
from lapor.services import effects as casework
from lapor.services.filing import file_complaint
from models import Agency, Complaint, ComplaintEvent, Role

from support import act_on

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SQL = ["' OR '1'='1", "1; DROP TABLE complaint;--", '" OR 1=1 --', "%' UNION SELECT 1--"]

text_like = st.one_of(st.none(), st.text(max_size=300), st.integers(), st.floats())
submissions = st.builds(
    Submission,
    text=st.text(max_size=6000),
    title=st.text(max_size=200),
    regency=st.one_of(
        st.none(), st.sampled_from(["Kapuas", "Kota Palangka Raya", "x"]), st.text(max_size=40)
    ),
    district=st.one_of(st.none(), st.text(max_size=40)),
    address=st.one_of(st.none(), st.text(max_size=400)),
    lat=text_like,
    lon=text_like,
    name=st.one_of(st.none(), st.text(max_size=200)),
    email=st.one_of(st.none(), st.text(max_size=300), st.emails()),
    phone=st.one_of(st.none(), st.text(max_size=30)),
    uploads=st.lists(
        st.builds(Upload, filename=st.text(max_size=300), content=st.binary(max_size=64)),
        max_size=7,
    ),
    idempotency_key=st.one_of(st.none(), st.text(max_size=250)),
)


@given(submission=submissions)
@hsettings(max_examples=300, deadline=None)
def test_validation_accepts_or_names_the_fields_at_fault_and_nothing_else(submission):
    try:
        clean = intake.validate(submission, gazetteer_for("kalteng"))
    except ValidationFailed as failed:
        assert failed.fields and all(p.message for p in failed.fields.values())
        return
    assert intake.MIN_TEXT <= len(clean.text) <= intake.MAX_TEXT
    assert "\x00" not in clean.text + clean.title
    assert clean.lat is None or -90 <= clean.lat <= 90


@given(submission=submissions)
@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.slow
def test_intake_stores_a_whole_complaint_or_nothing(settings, submission):
    engine = db.engine_for(settings.database_url)
    with Session(engine) as session:
        before = len(session.exec(select(Complaint.id)).all())
        events_before = len(session.exec(select(ComplaintEvent.id)).all())
    try:
        result = file_complaint(settings, submission, now=NOW)
    except DomainError:  # invalid, or an idempotency key reused with other content
        with Session(engine) as session:
            assert len(session.exec(select(Complaint.id)).all()) == before
            assert len(session.exec(select(ComplaintEvent.id)).all()) == events_before
        return
    with Session(engine) as session:
        events = session.exec(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id == result.complaint.id)
        ).all()
        assert events[0].action == "submit"


actions = st.lists(
    st.tuples(
        st.sampled_from([a for a in workflow.Action if a != workflow.Action.SUBMIT]),
        st.sampled_from(list(workflow.ActorKind)),
        st.one_of(st.none(), st.text(max_size=50)),
    ),
    max_size=12,
)


@given(steps=actions)
@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.slow
def test_any_sequence_of_actions_keeps_the_complaint_consistent(settings, steps):
    """Every action is either refused with a DomainError, changing nothing, or applied
    with exactly one audit event whose statuses match the complaint's."""
    code = file_complaint(settings, Submission(text="Jalan rusak di depan pasar"), now=NOW)
    code = code.complaint.tracking_code
    deadlines = casework.deadlines_for(settings)
    with Session(db.engine_for(settings.database_url), expire_on_commit=False) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        agencies = session.exec(select(Agency).where(Agency.code.in_(["DISHUB", "PUPR"]))).all()
        moment = NOW
        for index, (action, actor, note) in enumerate(steps):
            moment += timedelta(hours=1)
            change = workflow.Change(
                note=note,
                agency=agencies[index % 2],
                reason=workflow.RejectReason.SPAM,
            )
            status, events = complaint.status, _count_events(session, complaint)
            try:
                with session.begin_nested():
                    event = workflow.apply(
                        session,
                        complaint,
                        action,
                        actor=workflow.Actor(actor),
                        now=moment,
                        change=change,
                        deadlines=deadlines,
                        notices=casework.notices_for(settings),
                    )
                    session.flush()
            except DomainError:
                session.refresh(complaint)
                assert complaint.status == status
                assert _count_events(session, complaint) == events
                continue
            assert _count_events(session, complaint) == events + 1
            assert (event.status_from, event.status_to) == (status, complaint.status)
            if complaint.status in workflow.TERMINAL:
                assert complaint.next_check_at is None
        session.rollback()


def _count_events(session: Session, complaint: Complaint) -> int:
    return len(
        session.exec(
            select(ComplaintEvent.id).where(ComplaintEvent.complaint_id == complaint.id)
        ).all()
    )


# --- script and SQL in pages -------------------------------------------------------------


@pytest.fixture
def staff_client(app, settings):
    with Session(db.engine_for(settings.database_url)) as session:
        accounts.create_user(
            session, username="super", password="kata-sandi-panjang", role=Role.SUPERVISOR, now=NOW
        )
        session.commit()
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/masuk", data={"username": "super", "password": "kata-sandi-panjang"})
    return client


def test_script_in_a_complaint_is_shown_escaped_everywhere(settings, client, staff_client):
    submission = Submission(text=f"Jalan rusak {XSS}", title=f"Judul {XSS}", address=XSS, name=XSS)
    code = file_complaint(settings, submission, now=datetime.now(UTC)).complaint.tracking_code

    staff, now = workflow.Actor.staff(None), datetime.now(UTC)
    act_on(settings, code, workflow.Action.VERIFY, actor=staff, now=now, agency_code="PUPR")
    act_on(settings, code, workflow.Action.RESPOND, actor=staff, now=now, note=f"Jawaban {XSS}")
    pages = [
        client.get(f"/lacak/{code}"),
        client.get("/pengaduan"),
        staff_client.get(f"/petugas/pengaduan/{code}"),
        staff_client.get("/petugas/"),
        staff_client.get("/petugas/dasbor"),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in pages[0].get_data(as_text=True)
    for page in pages[:3]:
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'none'" in policy  # and no injected script could run anyway
    for response in (
        client.get(f"/api/v1/complaints/{code}"),
        client.get(f"/open311/v2/requests/{code}.json"),
    ):
        # JSON keeps the text as sent; it is data, never sniffed into a page.
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("payload", SQL)
def test_sql_in_every_filter_is_just_text(settings, client, staff_client, payload):
    file_complaint(settings, Submission(text="Sampah menumpuk di pasar"), now=NOW)
    responses = [
        client.get(
            "/pengaduan",
            query_string={
                "regency": payload,
                "agency": payload,
                "status": payload,
                "page": payload,
            },
        ),
        client.get(
            "/api/v1/complaints",
            query_string={"regency": payload, "agency": payload, "status": payload},
        ),
        client.get(
            "/open311/v2/requests.json", query_string={"service_code": payload, "status": payload}
        ),
        client.get(f"/lacak/{payload}"),
        client.get("/lacak", query_string={"kode": payload}),
        staff_client.get("/petugas/", query_string={"opd": payload}),
        staff_client.get("/petugas/dasbor", query_string={"opd": payload, "dari": payload}),
    ]
    for response in responses:
        assert response.status_code < 500, response.request.url
    with Session(db.engine_for(settings.database_url)) as session:
        assert len(session.exec(select(Complaint.id)).all()) == 1  # the table is still there


def test_a_nul_character_anywhere_is_refused_cleanly(settings, client, staff_client):
    file_complaint(settings, Submission(text="Sampah menumpuk di pasar"), now=NOW)
    for response in (
        client.get("/pengaduan", query_string={"regency": "a\x00b"}),
        client.get("/api/v1/complaints", query_string={"agency": "\x00"}),
        client.post("/masuk", data={"username": "ad\x00min", "password": "x"}),
        staff_client.get("/petugas/", query_string={"opd": "\x00"}),
    ):
        assert response.status_code == 400
    body = client.get("/api/v1/complaints", query_string={"agency": "\x00"}).get_json()
    assert body["error"]["code"] == "bad_request"
    # In JSON, NUL is cleaned out of the text rather than refused.
    filed = client.post("/api/v1/complaints", json={"text": "Jalan\x00 rusak di depan pasar"})
    assert filed.status_code == 201
