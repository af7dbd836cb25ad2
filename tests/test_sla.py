"""Deadlines and escalation end to end: the policy file, the sweep moving through time level by
level, pauses, automatic closes, idempotent and concurrent sweeps, and `lapor sla`."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from lapor.cli import main
from lapor.domain import workflow
from lapor.domain.intake import Submission
from lapor.domain.sla_policy import PolicyError, SlaBook
from lapor.infra import db
from lapor.infra.region import sla_document_for
from lapor.infra.settings import Settings
from lapor.services import sweep as sla
from lapor.services.filing import file_complaint
from models import Agency, Complaint, ComplaintEvent, Notification
from models import ComplaintStatus as S

from support import act_on

WIB = ZoneInfo("Asia/Jakarta")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)  # no holiday in the weeks that follow


def wib(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=WIB)


def file(settings: Settings, now: datetime = MONDAY, **fields) -> str:
    submission = Submission(text="Jalan rusak parah di depan sekolah, mohon diperbaiki", **fields)
    return file_complaint(settings, submission, now=now).complaint.tracking_code


def act(settings: Settings, code: str, action, now: datetime, **change) -> None:
    actor = workflow.Actor.reporter() if action in REPORTER_ACTIONS else workflow.Actor.system()
    if action not in REPORTER_ACTIONS and action not in SYSTEM_ACTIONS:
        actor = workflow.Actor.staff(None)
    act_on(settings, code, action, actor=actor, now=now, **change)


REPORTER_ACTIONS = {workflow.Action.PROVIDE_INFO, workflow.Action.REOPEN}
SYSTEM_ACTIONS = {workflow.Action.ROUTE}


def _complaint(session: Session, code: str) -> Complaint:
    return session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()


def state(settings: Settings, code: str) -> tuple[Complaint, list[ComplaintEvent]]:
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = _complaint(session, code)
        events = session.exec(
            select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.id)
        ).all()
        return complaint, list(events)


def sla_events(settings: Settings, code: str) -> list[tuple[str, int | None, str | None]]:
    _, events = state(settings, code)
    return [
        (e.action, e.data.get("level"), e.data.get("target"))
        for e in events
        if e.action in ("remind", "escalate")
    ]


def inapp(settings: Settings, code: str) -> list[tuple[str, str]]:
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = _complaint(session, code)
        rows = session.exec(
            select(Notification, Agency)
            .join(Agency, Agency.id == Notification.agency_id)
            .where(Notification.complaint_id == complaint.id, Notification.channel == "inapp")
            .order_by(Notification.id)
        ).all()
        return [(n.kind, a.code) for n, a in rows]


# --- the policy file ----------------------------------------------------------------------


def test_the_shipped_policy_follows_sp4n_lapor():
    book = SlaBook.from_dict(sla_document_for("kalteng"))
    policy = book.policy_for(None, None)
    assert (policy.verification_days, policy.response_days) == (3, 5)
    assert policy.resolution_calendar_days == 60
    assert (policy.info_wait_days, policy.confirm_wait_days) == (10, 10)
    assert [(lvl.level, lvl.after_days, lvl.target) for lvl in book.escalation] == [
        (1, 0, "agency"),
        (2, 2, "parent"),
        (3, 5, "root"),
    ]
    assert book.triage_agency == "DISKOMINFOSANTIK"
    assert book.policy_for("BPBPK", None).response_days == 1
    assert book.policy_for("DISHUB", None).response_days == 5


def test_a_category_override_wins_over_the_agency_override():
    book = SlaBook.from_dict(
        {
            "defaults": {"response_days": 5},
            "agencies": {"DINKES": {"response_days": 3}},
            "categories": {"Wabah Penyakit": {"response_days": 1}},
            "escalation": [{"level": 1, "after_days": 0, "target": "agency"}],
        }
    )
    assert book.policy_for("DINKES", None).response_days == 3
    assert book.policy_for("DINKES", "Wabah Penyakit").response_days == 1
    assert book.policy_for("DISHUB", "Jalan").response_days == 5


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"defaults": {"response_dayz": 5}}, "response_dayz"),
        ({"defaults": {"response_days": 0}}, "response_days"),
        ({"defaults": {"response_days": "lima"}}, "response_days"),
        ({"agencies": {"DISHUB": {"verification_days": -1}}}, "agencies.DISHUB"),
        ({"escalation": [{"level": 2, "after_days": 0, "target": "agency"}]}, "berurutan"),
        ({"escalation": [{"level": 1, "after_days": 0, "target": "bupati"}]}, "target"),
        (
            {
                "escalation": [
                    {"level": 1, "after_days": 3, "target": "agency"},
                    {"level": 2, "after_days": 1, "target": "parent"},
                ]
            },
            "after_days",
        ),
        ({"calendar": {"weekend": ["sabtu"]}}, "weekend"),
        ({"calendar": {"days_off": {"2026-13-01": "x"}}}, "days_off"),
    ],
)
def test_a_bad_policy_file_is_refused_with_the_place_of_the_fault(data, says):
    with pytest.raises(PolicyError) as refused:
        SlaBook.from_dict(data)
    assert says in refused.value.message


# --- the sweep through time ---------------------------------------------------------------


def test_an_unverified_complaint_is_reminded_then_escalated_level_by_level(settings):
    code = file(settings)
    complaint, _ = state(settings, code)
    assert complaint.status == S.RECEIVED
    assert complaint.verification_due_at == wib(11, 26, 23, 59, 59)  # Thursday, 3 working days
    assert complaint.next_check_at == wib(11, 25, 8)  # the reminder, a working day before

    sla.sweep(settings, wib(11, 25, 7, 59))
    assert sla_events(settings, code) == []

    sla.sweep(settings, wib(11, 25, 8))
    sla.sweep(settings, wib(11, 25, 8, 1))  # again: nothing more
    assert sla_events(settings, code) == [("remind", None, "DISKOMINFOSANTIK")]

    sla.sweep(settings, wib(11, 26, 23, 59, 59))
    complaint, _ = state(settings, code)
    assert complaint.escalation_level == 1
    assert complaint.next_check_at == wib(11, 30, 23, 59, 59)  # level 2: 2 working days later

    sla.sweep(settings, wib(11, 30, 23, 59, 58))
    assert complaint.escalation_level == state(settings, code)[0].escalation_level == 1
    sla.sweep(settings, wib(12, 1, 9))
    sla.sweep(settings, wib(12, 4, 9))  # level 3 is due 5 working days after: Thursday 3 Dec
    sla.sweep(settings, wib(12, 14, 9))  # nothing above level 3
    assert sla_events(settings, code) == [
        ("remind", None, "DISKOMINFOSANTIK"),
        ("escalate", 1, "DISKOMINFOSANTIK"),
        ("escalate", 2, "SETDA"),
        ("escalate", 3, "GUB"),
    ]
    complaint, events = state(settings, code)
    assert complaint.escalation_level == 3
    assert complaint.status == S.RECEIVED
    assert complaint.next_check_at is None
    assert all(not e.public for e in events if e.action in ("remind", "escalate"))
    assert inapp(settings, code) == [
        ("remind", "DISKOMINFOSANTIK"),
        ("escalate", "DISKOMINFOSANTIK"),
        ("escalate", "SETDA"),
        ("escalate", "GUB"),
    ]


def test_a_sweep_after_a_long_outage_catches_up_every_level_at_once(settings):
    code = file(settings)
    result = sla.sweep(settings, wib(12, 10, 9))
    assert result.actions == {"escalate": 3}
    assert [level for _, level, _ in sla_events(settings, code)] == [1, 2, 3]


def test_a_routed_complaint_escalates_up_its_opd_chain_and_an_answer_stops_it(settings):
    code = file(settings)
    act(settings, code, workflow.Action.ROUTE, MONDAY, agency_code="DISHUB")
    complaint, _ = state(settings, code)
    assert complaint.verification_due_at is None
    assert complaint.response_due_at == wib(11, 30, 23, 59, 59)  # 5 working days

    sla.sweep(settings, wib(11, 27, 9))  # the working day before: a reminder
    sla.sweep(settings, wib(12, 3, 9))  # level 1 at the deadline, level 2 two days later
    assert sla_events(settings, code) == [
        ("remind", None, "DISHUB"),
        ("escalate", 1, "DISHUB"),
        ("escalate", 2, "SETDA"),
    ]
    act(settings, code, workflow.Action.RESPOND, wib(12, 3, 10), note="Sudah kami survei.")
    complaint, _ = state(settings, code)
    assert complaint.status == S.IN_PROGRESS
    assert complaint.escalation_level == 0  # a new stage: completion within 60 days
    assert complaint.response_due_at is None
    assert complaint.resolution_due_at == MONDAY + timedelta(days=60)
    sla.sweep(settings, wib(12, 20, 9))
    assert len(sla_events(settings, code)) == 3


def test_an_opd_with_a_shorter_deadline_in_the_policy_gets_it(settings):
    code = file(settings)
    act(settings, code, workflow.Action.ROUTE, MONDAY, agency_code="BPBPK")
    assert state(settings, code)[0].response_due_at == wib(11, 24, 23, 59, 59)


def test_waiting_on_the_reporter_stops_the_clock_and_the_answer_gives_the_days_back(settings):
    code = file(settings)
    act(settings, code, workflow.Action.ROUTE, MONDAY, agency_code="DISHUB")
    asked = wib(11, 25, 10)  # Wednesday: Thu, Fri, Mon are left of the deadline
    act(settings, code, workflow.Action.REQUEST_INFO, asked, note="Di RT berapa?")
    complaint, _ = state(settings, code)
    assert complaint.status == S.NEEDS_INFO
    assert complaint.response_due_at is None
    assert complaint.paused_days_left == 3
    assert complaint.auto_close_at == wib(12, 9, 23, 59, 59)  # 10 working days
    assert complaint.next_check_at == complaint.auto_close_at

    sla.sweep(settings, wib(12, 7, 9))  # past the old deadline: paused, nothing happens
    assert sla_events(settings, code) == []

    answered = wib(12, 1, 14)  # Tuesday
    act(settings, code, workflow.Action.PROVIDE_INFO, answered, note="RT 05")
    complaint, _ = state(settings, code)
    assert complaint.status == S.ROUTED
    assert complaint.response_due_at == wib(12, 4, 23, 59, 59)  # Wed, Thu, Fri
    assert complaint.resolution_due_at == MONDAY + timedelta(days=60) + (answered - asked)
    assert complaint.auto_close_at is None and complaint.paused_days_left is None


def test_a_pause_spanning_christmas_gives_back_working_days_only(settings):
    monday = wib(12, 21, 9)
    code = file(settings, now=monday)
    act(settings, code, workflow.Action.ROUTE, monday, agency_code="DISHUB")
    # 22, 23 Dec; 24 Dec is cuti bersama and 25 Dec Christmas; 28, 29, 30 Dec.
    assert state(settings, code)[0].response_due_at == wib(12, 30, 23, 59, 59)
    act(settings, code, workflow.Action.REQUEST_INFO, wib(12, 23, 9), note="Foto?")
    assert state(settings, code)[0].paused_days_left == 3  # 28, 29, 30 Dec
    act(settings, code, workflow.Action.PROVIDE_INFO, wib(12, 30, 9), note="Terlampir")
    # 31 Dec; 1 Jan New Year and the weekend; 4 Jan; 5 Jan Isra Mikraj; 6 Jan.
    due = state(settings, code)[0].response_due_at
    assert due == datetime(2027, 1, 6, 23, 59, 59, tzinfo=WIB)


def test_a_silent_reporter_is_closed_automatically(settings):
    asked = file(settings)
    act(settings, asked, workflow.Action.REQUEST_INFO, MONDAY, note="Lokasi tepatnya?")
    resolved = file(settings)
    act(settings, resolved, workflow.Action.ROUTE, MONDAY, agency_code="DISHUB")
    act(settings, resolved, workflow.Action.RESPOND, MONDAY, note="Ditangani")
    act(settings, resolved, workflow.Action.RESOLVE, MONDAY, note="Sudah diperbaiki")

    sla.sweep(settings, wib(12, 7, 23, 59, 58))
    assert state(settings, asked)[0].status == S.NEEDS_INFO
    result = sla.sweep(settings, wib(12, 7, 23, 59, 59))  # 10 working days after Monday
    assert result.actions == {"close": 2}
    for code in (asked, resolved):
        complaint, events = state(settings, code)
        assert complaint.status == S.CLOSED
        assert complaint.next_check_at is None
        assert events[-1].actor_kind == "system"
        assert events[-1].note.startswith("Ditutup otomatis")


def test_the_sweep_only_reads_what_is_due(settings):
    """Closed and far-off complaints are not even loaded: the query is on next_check_at."""
    for _ in range(3):
        file(settings)
    with Session(db.engine_for(settings.database_url)) as session:
        session.exec(sa.update(Complaint).values(next_check_at=wib(12, 31)))
        session.commit()
    result = sla.sweep(settings, wib(12, 1))
    assert result.looked_at == 0


def test_two_sweeps_at_once_escalate_once(settings):
    codes = [file(settings) for _ in range(30)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            sla.sweep(settings, wib(11, 27, 9), batch=7)
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for code in codes:
        assert sla_events(settings, code) == [("escalate", 1, "DISKOMINFOSANTIK")]
        assert state(settings, code)[0].escalation_level == 1


# --- lapor sla ----------------------------------------------------------------------------


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, list(args))


def test_lapor_sla_sweep_travels_in_time_and_show_tells_the_story(settings, cli):
    code = file(settings)
    out = cli("sla", "sweep", "--now", "2026-11-27T09:00", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["actions"] == {"escalate": 1}

    out = cli("sla", "show", code, "--json")
    assert out.exit_code == 0, out.output
    view = json.loads(out.output)
    assert view["status"] == "received"
    assert view["escalation_level"] == 1
    assert datetime.fromisoformat(view["deadlines"]["verification"]) == wib(11, 26, 23, 59, 59)
    assert [(h["action"], h["level"], h["target"]) for h in view["history"]] == [
        ("escalate", 1, "DISKOMINFOSANTIK")
    ]

    out = cli("sla", "show", code)
    assert out.exit_code == 0
    assert "Eskalasi : level 1" in out.output
    assert "26 Nov 2026 23.59 WIB" in out.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["sla", "sweep", "--now", "besok pagi"], "Waktu tidak valid"),
        (["sla", "show", "ABCDE-FGHJK"], "tidak ditemukan"),
        (["sla", "show", "!!"], "tidak valid"),
    ],
)
def test_lapor_sla_refuses_bad_input_clearly(cli, args, says):
    out = cli(*args)
    assert out.exit_code != 0
    assert says in out.output


def test_a_naive_now_is_read_as_local_time(settings, cli):
    file(settings)
    out = cli("sla", "sweep", "--now", "2026-11-26T23:59:59", "--json")
    assert json.loads(out.output)["now"] == "2026-11-26T16:59:59+00:00"
    assert json.loads(out.output)["actions"] == {"escalate": 1}


def test_the_cron_schedule_runs_the_sweep_every_minute(settings):
    from rq.cron import CronScheduler

    from lapor.infra import broker

    scheduler = CronScheduler(broker.connect(settings))
    scheduler.load_config_from_file("workers.cron_config")
    jobs = {job.func.__module__ + "." + job.func.__name__: job for job in scheduler.get_jobs()}
    assert jobs["workers.sla.sweep"].cron == "* * * * *"
    assert jobs["workers.sla.sweep"].queue_name == "lapor-high"


def test_two_cron_processes_do_not_run_the_sweep_twice(settings, monkeypatch):
    """RQ's cron has no lock: both schedulers enqueue, the job itself runs once a minute."""
    from rq.cron import CronScheduler

    from lapor.infra import broker

    from support import export_settings, work

    export_settings(monkeypatch, settings)
    monkeypatch.setattr("workers.once.clock", lambda: 1_800_000_030.0)  # mid-minute, held
    file(settings)
    connection = broker.connect(settings)
    enqueued = []
    for _ in range(2):  # two `rq cron` processes, each loading the same schedule
        scheduler = CronScheduler(connection)
        scheduler.load_config_from_file("workers.cron_config")
        sweep = next(j for j in scheduler.get_jobs() if j.func.__name__ == "sweep")
        enqueued.append(sweep.enqueue(connection))
    work(settings)
    results = sorted(str(job.latest_result().return_value) for job in enqueued)
    assert results[1] == "{'skipped': True}"
    assert "looked_at" in results[0]
