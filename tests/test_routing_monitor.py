"""The router watching itself: live precision from a scripted set of staff actions on
auto-routed complaints, the threshold raise it calls for (audited, the admin told, reversible)
and the router obeying it, lifted again when a new model becomes current."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from werkzeug.serving import make_server

from lapor import create_app
from lapor.cli import main
from lapor.domain import routing_watch as rw
from lapor.domain.intake import Submission
from lapor.domain.workflow import Action, Actor, RejectReason
from lapor.infra import db, jobs
from lapor.routing import service as routing
from lapor.services import accounts, inbox, routing_monitor
from lapor.services.casework import Staff
from lapor.services.filing import file_complaint
from models import Complaint, ConfigChange, Role

from support import STAFF_PASSWORD, act_on, export_settings, route_to, signed_in, work

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TEXT = "Lampu PJU mati total di jalan raya depan sekolah, gelap"

# --- the pure rules ---------------------------------------------------------------------


def fact(label: str, right: bool, confidence: float = 0.9) -> rw.Fact:
    return rw.Fact(label, rw.Outcome.RIGHT if right else rw.Outcome.WRONG, confidence)


def test_outcomes_of_staff_actions():
    assert rw.outcome_of("respond", {}, "DISHUB") == rw.Outcome.RIGHT
    assert rw.outcome_of("resolve", {}, "DISHUB") == rw.Outcome.RIGHT
    assert rw.outcome_of("transfer", {"agency": "PUPR"}, "DISHUB") == rw.Outcome.WRONG
    assert rw.outcome_of("forward", {}, "DISHUB") == rw.Outcome.WRONG
    assert rw.outcome_of("reject", {"reason": "not_complaint"}, "DISHUB") == rw.Outcome.WRONG
    assert rw.outcome_of("reject", {"reason": "duplicate"}, "DISHUB") is None
    assert rw.outcome_of("verify", {"agency": "DISHUB"}, "DISHUB") == rw.Outcome.RIGHT
    assert rw.outcome_of("verify", {"agency": "PUPR"}, "DISHUB") == rw.Outcome.WRONG
    assert rw.outcome_of("note", {}, "DISHUB") is None


def test_windows_overall_and_per_label():
    facts = [fact("a", i % 10 != 0) for i in range(50)] + [fact("b", True) for _ in range(5)]
    rep = rw.report(facts, window=40, per_label=30)
    assert (rep.overall.decided, rep.overall.right) == (40, 36)
    by = {f.label: f for f in rep.labels}
    assert (by["a"].decided, by["a"].right, by["a"].wrong) == (30, 27, 3)
    assert by["b"].precision == 1.0


def test_the_raise_is_the_confidence_that_would_have_held():
    # 19 right at 0.90–0.99, 3 wrong at 0.60: at 0.90 and above everything was right.
    facts = [fact("a", True, 0.90 + i / 200) for i in range(19)] + [fact("a", False, 0.6)] * 3
    assert rw.threshold_holding(facts) == pytest.approx(0.90)
    # Wrong at the top: no confidence holds, the label stops being auto-routed.
    assert rw.threshold_holding([fact("a", False, 0.99)] + [fact("a", True, 0.9)] * 5) == 1.0
    rep = rw.report(facts)
    watch, steps = rw.decide(
        rw.Watch(None, {}), rep, model_version="v1", model_threshold=0.5, now=NOW
    )
    assert [(s.kind, s.label, s.before) for s in steps] == [("raise", "a", 0.5)]
    assert watch.thresholds("v1")["a"] == pytest.approx(0.90) and watch.thresholds("v2") == {}
    assert rw.decide(watch, rep, model_version="v1", model_threshold=0.5, now=NOW)[1] == []
    lifted, steps = rw.decide(
        watch, rw.report([]), model_version="v2", model_threshold=0.5, now=NOW
    )
    assert [(s.kind, s.label) for s in steps] == [("lift", "a")] and lifted.raised == {}
    # Too few decided complaints, or an admin's lift for this model: no raise.
    assert (
        rw.decide(
            rw.Watch(None, {}),
            rw.report(facts[:5] + facts[-3:]),
            model_version="v1",
            model_threshold=0.5,
            now=NOW,
        )[1]
        == []
    )
    waived = rw.lifted(watch, "a")
    assert rw.decide(waived, rep, model_version="v1", model_threshold=0.5, now=NOW)[1] == []


# --- a scripted set of staff actions ----------------------------------------------------


@pytest.fixture
def world(settings, trained_models):
    """The sample model current, an admin, and the label the model routes TEXT with."""
    shutil.copytree(trained_models, settings.data_dir / "models")
    with Session(db.engine_for(settings.database_url)) as session:
        admin = accounts.create_user(
            session, username="admin", password=STAFF_PASSWORD, role=Role.ADMIN, now=NOW
        )
        session.commit()
        admin_id = admin.id
    router = routing.current_router(settings)
    decision = router.decide(TEXT)
    assert decision.auto, "the sample model routes the test text on its own"
    other = next(
        lbl
        for lbl in router.model.labels
        if router.label_map.agency_for(lbl, None) not in (None, decision.agency)
        and not lbl.startswith("agency:")
    )
    return settings, admin_id, decision, other


def _file(settings, label, agency, confidence, version, at):
    """A complaint the router auto-routed (as intake records it), or one it did not."""
    code = file_complaint(settings, Submission(text=f"{TEXT} nomor {at:%H%M}"), now=at)
    code = code.complaint.tracking_code
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        complaint.routing_label, complaint.routing_confidence = label, confidence
        complaint.model_version = version
        session.add(complaint)
        session.commit()
    if agency:
        route_to(settings, code, agency, at)
    return code


def scripted(settings, admin_id, decision, other) -> None:
    """Label L (the test text's): 17 right, 3 wrong, 4 undecided or not counted; another
    label: 5 right, 1 wrong; plus complaints that are not the current model's auto-routing."""
    version = routing.current_router(settings).model.version
    label, agency, c0 = decision.label, decision.agency, decision.confidence
    other_agency = routing.current_router(settings).label_map.agency_for(other, None)
    staff = Actor.staff(admin_id)
    clock = iter(NOW + timedelta(minutes=i) for i in range(1000))
    # Filing under the model would route on its own: file with none, and record as it would.
    models = settings.data_dir / "models"
    models.rename(settings.data_dir / "models-away")

    def respond(code):
        act_on(settings, code, Action.RESPOND, actor=staff, now=next(clock), note="Ditangani.")

    codes = []
    for k in range(1, 18):
        codes.append(_file(settings, label, agency, c0 + (1 - c0) * k / 20, version, next(clock)))
        respond(codes[-1])
    act_on(settings, codes[-1], Action.RESOLVE, actor=staff, now=next(clock), note="Selesai.")
    wrong = [_file(settings, label, agency, c0, version, next(clock)) for _ in range(3)]
    act_on(
        settings,
        wrong[0],
        Action.TRANSFER,
        actor=staff,
        now=next(clock),
        note="Bukan kami.",
        agency_code=other_agency,
    )
    act_on(settings, wrong[1], Action.FORWARD, actor=staff, now=next(clock), note="Ke BPN.")
    act_on(
        settings,
        wrong[2],
        Action.REJECT,
        actor=staff,
        now=next(clock),
        reason=RejectReason.NOT_COMPLAINT,
    )
    duplicate = _file(settings, label, agency, c0, version, next(clock))
    act_on(
        settings,
        duplicate,
        Action.REJECT,
        actor=staff,
        now=next(clock),
        reason=RejectReason.DUPLICATE,
        duplicate_of=_complaint(settings, codes[0]),
    )
    _file(settings, label, agency, c0, version, next(clock))  # undecided
    asked = _file(settings, label, agency, c0, version, next(clock))
    act_on(settings, asked, Action.REQUEST_INFO, actor=staff, now=next(clock), note="Di mana?")
    for k in range(6):
        code = _file(settings, other, other_agency, 0.99, version, next(clock))
        if k == 0:
            act_on(
                settings,
                code,
                Action.TRANSFER,
                actor=staff,
                now=next(clock),
                note="Salah.",
                agency_code=agency,
            )
        else:
            respond(code)
    # A verifier's choice, and an older model's routing: not this model's auto-routing.
    verified = _file(settings, label, None, 0.3, version, next(clock))
    act_on(settings, verified, Action.VERIFY, actor=staff, now=next(clock), agency_code=agency)
    respond(verified)
    respond(_file(settings, label, agency, 0.99, "older", next(clock)))
    (settings.data_dir / "models-away").rename(models)


def _complaint(settings, code) -> Complaint:
    with Session(db.engine_for(settings.database_url), expire_on_commit=False) as session:
        return session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()


def _changes(settings) -> list[ConfigChange]:
    with Session(db.engine_for(settings.database_url)) as session:
        return list(session.exec(select(ConfigChange).order_by(ConfigChange.id)))


def test_live_precision_raises_the_threshold_until_a_new_model(world, monkeypatch):
    settings, admin_id, decision, other = world
    scripted(settings, admin_id, decision, other)
    with Session(db.engine_for(settings.database_url)) as session:
        found = routing_monitor.status(session, settings)
    assert (found.overall.decided, found.overall.right, found.overall.wrong) == (26, 22, 4)
    rows = {r.label: r for r in found.rows}
    assert (rows[decision.label].decided, rows[decision.label].right) == (20, 17)
    assert rows[decision.label].precision == pytest.approx(0.85)
    assert (rows[other].decided, rows[other].right) == (6, 5)

    steps = routing_monitor.watch(settings, now=NOW + timedelta(days=1))
    assert [(s.kind, s.label) for s in steps] == [("raise", decision.label)]
    c0 = decision.confidence
    assert steps[0].after == pytest.approx(c0 + (1 - c0) / 20)
    audit = _changes(settings)
    assert [(c.subject, c.key, c.action, c.actor) for c in audit] == [
        ("routing", f"ambang:{decision.label}", "raise_threshold", "sistem")
    ]
    with Session(db.engine_for(settings.database_url)) as session:
        notices = inbox.notices(session, settings, Staff(admin_id, Role.ADMIN, None))
    assert [n.kind for n in notices] == ["routing_watch"]
    assert "dinaikkan" in notices[0].subject and "17 dari 20" in notices[0].body

    # The router now sends such a complaint to a person.
    filed = file_complaint(settings, Submission(text=TEXT), now=NOW + timedelta(days=1))
    assert filed.complaint.status == "received" and filed.complaint.agency_id is None

    # Running again — here and as the hourly job — changes nothing more.
    assert routing_monitor.watch(settings, now=NOW + timedelta(days=1, hours=1)) == []
    export_settings(monkeypatch, settings)
    jobs.enqueue_routing_watch(settings)
    jobs.enqueue_routing_watch(settings)
    work(settings)
    assert len(_changes(settings)) == 1

    # A newly trained model becomes current: the raise is lifted, and recorded.
    store = routing.model_store(settings)
    old = store.current_version()
    shutil.copy(store.root / f"route-{old}.joblib", store.root / "route-baru-1.joblib")
    metadata = {**store.metadata(old), "version": "baru-1"}
    (store.root / "route-baru-1.json").write_text(json.dumps(metadata))
    store.promote("baru-1")
    steps = routing_monitor.watch(settings, now=NOW + timedelta(days=2))
    assert [(s.kind, s.label) for s in steps] == [("lift", decision.label)]
    assert _changes(settings)[-1].action == "lift_threshold"
    assert routing.current_router(settings).decide(TEXT).auto


def test_dashboard_cli_and_an_admins_lift(world):
    settings, admin_id, decision, other = world
    scripted(settings, admin_id, decision, other)
    routing_monitor.watch(settings, now=NOW + timedelta(days=1))
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)

    result = app.test_cli_runner().invoke(main, ["model", "monitor", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["overall"] == {"decided": 26, "right": 22, "wrong": 4, "precision": 0.8462}
    row = next(r for r in body["labels"] if r["label"] == decision.label)
    assert (row["decided"], row["right"], row["wrong"], row["precision"]) == (20, 17, 3, 0.85)
    assert row["raised"] and row["threshold"] > decision.confidence
    text = app.test_cli_runner().invoke(main, ["model", "monitor"]).output
    assert "22/26" in text and "(dinaikkan)" in text

    client = signed_in(app, "admin")
    page = client.get("/petugas/dasbor").get_data(as_text=True)
    assert "Ketepatan penentuan OPD" in page and "84,6%" in page and "Kembalikan" in page
    client.set_cookie("lang", "en")
    english = client.get("/petugas/dasbor?lang=en").get_data(as_text=True)
    assert "Routing precision" in english and "84.6%" in english and "Restore" in english

    response = client.post("/petugas/dasbor/ambang/kembalikan", data={"label": decision.label})
    assert response.status_code == 303
    assert _changes(settings)[-1].action == "lift_threshold"
    assert _changes(settings)[-1].actor == "admin"
    assert routing.current_router(settings).decide(TEXT).auto
    # The admin's call holds: the watch does not raise it again for this model.
    assert routing_monitor.watch(settings, now=NOW + timedelta(days=1, hours=2)) == []
    again = client.post("/petugas/dasbor/ambang/kembalikan", data={"label": decision.label})
    assert again.status_code == 303
    audit = client.get("/admin/riwayat").get_data(as_text=True)
    assert "ambang dinaikkan otomatis" in audit or "threshold raised automatically" in audit


def test_only_admins_lift(settings):
    """Supervisors see the figures (none without a model); only admins lift a raise."""
    with Session(db.engine_for(settings.database_url)) as session:
        accounts.create_user(
            session, username="atasan", password=STAFF_PASSWORD, role=Role.SUPERVISOR, now=NOW
        )
        session.commit()
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    client = signed_in(app, "atasan")
    page = client.get("/petugas/dasbor").get_data(as_text=True)
    assert "Ketepatan penentuan OPD" in page and "Belum ada model aktif" in page
    assert client.post("/petugas/dasbor/ambang/kembalikan", data={"label": "x"}).status_code == 403


def test_the_watch_runs_every_hour_on_the_low_queue(settings):
    from rq.cron import CronScheduler

    from lapor.infra import broker

    scheduler = CronScheduler(broker.connect(settings))
    scheduler.load_config_from_file("workers.cron_config")
    watch = next(j for j in scheduler.get_jobs() if j.func.__name__ == "watch_precision")
    assert (watch.cron, watch.queue_name) == ("41 * * * *", jobs.LOW)


@pytest.mark.slow
@pytest.mark.parametrize("width", [360, 1280])
def test_the_dashboard_section_fits_a_phone(world, browser, tmp_path, width):
    settings, admin_id, decision, other = world
    scripted(settings, admin_id, decision, other)
    routing_monitor.watch(settings, now=NOW + timedelta(days=1))
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    live_url = f"http://127.0.0.1:{server.server_port}"
    try:
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(f"{live_url}/masuk")
        page.fill("#username", "admin")
        page.fill("#password", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_url}/petugas/dasbor#routing-watch")
        section = page.locator("#routing-watch")
        assert "Kembalikan" in section.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        section.screenshot(path=str(tmp_path / f"routing-watch-{width}.png"))
    finally:
        server.shutdown()
