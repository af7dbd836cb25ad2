"""Reporters' personal data (UU 27/2022): erasing it on request and after the retention
period leaves no trace in any table or in the attachment store, keeps the complaint and
records the erasure; the reporter's copy; the `lapor privacy` commands. Both backends."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from lapor.cli import main
from lapor.domain import privacy as rules
from lapor.domain import reporter_key, search, workflow
from lapor.domain.errors import NotFound
from lapor.domain.intake import Submission, Upload
from lapor.infra import broker, db, jobs, redis_keys
from lapor.services import my_complaints, privacy, reporter, views
from lapor.services.filing import file_complaint
from models import (
    ActorKind,
    Attachment,
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    ConfigChange,
    Notification,
    Reporter,
)

from support import act_on, export_settings, jpeg, route_to, work

FILED = datetime(2023, 3, 6, 2, 0, tzinfo=UTC)  # a Monday, 09:00 WIB
STAFF = workflow.Actor(ActorKind.STAFF)

SITI = {
    "name": "Sutarni Wibisana",
    "email": "sutarni.wibisana@contoh.id",
    "phone": "0812-7777-3131",
}
TELEGRAM_ID, TELEGRAM_CHAT = 918273645, 918273600


def _needles(name: str, *others: str) -> list[str]:
    """What must not be found: each part of the name and its stem (the search index holds
    stems), and the contacts."""
    parts = name.lower().split()
    return sorted({*parts, *(search.stem(p) for p in parts), *others})


SITI_NEEDLES = _needles(SITI["name"], SITI["email"], "81277773131")
MARYATI_NEEDLES = _needles("Maryatinah Kusumawardhana", str(TELEGRAM_ID), str(TELEGRAM_CHAT))
OTHER_NEEDLES = _needles("Yohanes Bungaian", "yohanes.bungaian@contoh.id")


@pytest.fixture
def wired(settings, monkeypatch):
    """Email and Telegram on (so messages to reporters are written), for the jobs too."""
    # Nothing listens on port 9: a delivery the queue runs fails at once, and is retried.
    channels = settings.with_overrides(
        {
            "smtp_host": "127.0.0.1",
            "smtp_port": 9,
            "smtp_security": "none",
            "telegram_bot_token": "1:x",
            "telegram_api_url": "http://127.0.0.1:9",
        }
    )
    export_settings(monkeypatch, channels)
    return channels


def _file(settings, now=FILED, **fields) -> tuple[str, str]:
    """File through the real intake: (tracking code, reporter key)."""
    result = file_complaint(settings, Submission(**fields), now=now)
    return result.complaint.tracking_code, result.reporter_key


def _file_siti(settings) -> tuple[str, str]:
    """Siti's first complaint: her name and number in the text, a photo, a rated answer that
    names her, and a "my complaints" message carrying her number."""
    code, key = _file(
        settings,
        text="Nama saya Sutarni Wibisana, jalan di depan rumah saya rusak parah sejak Januari. "
        "Hubungi saya di 0812 7777 3131.",
        title="Jalan rusak depan rumah Sutarni",
        regency="Kota Palangka Raya",
        uploads=[Upload("jalan.jpg", jpeg())],
        **SITI,
    )
    later = FILED + timedelta(days=1)
    route_to(settings, code, "PUPR", later)
    act_on(settings, code, workflow.Action.RESPOND, actor=STAFF, now=later,
           note="Ibu Sutarni Wibisana sudah kami hubungi di +6281277773131.")  # fmt: skip
    act_on(settings, code, workflow.Action.RESOLVE, actor=STAFF, now=later, note="Sudah ditambal.")
    reporter.rate(settings, code, reporter.KeyProof(key), 5, "Terima kasih, Sutarni", now=later)
    my_complaints.send_link(settings, SITI["phone"], now=later)
    return code, key


def _file_maryati(settings, now=FILED) -> str:
    """A Telegram reporter with a photo."""
    code, _ = _file(
        settings,
        now=now,
        text="Lampu jalan di simpang empat sudah tiga minggu padam, gelap dan rawan kecelakaan.",
        channel=Channel.TELEGRAM,
        name="Maryatinah Kusumawardhana",
        telegram_user_id=TELEGRAM_ID,
        telegram_chat_id=TELEGRAM_CHAT,
        uploads=[Upload("lampu.jpg", jpeg((30, 20)))],
    )
    route_to(settings, code, "DISHUB", now + timedelta(hours=1))
    return code


def _close(settings, code: str, at: datetime) -> None:
    act_on(settings, code, workflow.Action.RESPOND, actor=STAFF, now=at, note="Ditangani.")
    act_on(settings, code, workflow.Action.RESOLVE, actor=STAFF, now=at, note="Selesai.")
    act_on(settings, code, workflow.Action.CLOSE, actor=workflow.Actor.system(), now=at)


def _file_other(settings) -> str:
    code, _ = _file(
        settings,
        text="Pelayanan di puskesmas sangat lambat, antrean sampai sore hari setiap hari.",
        name="Yohanes Bungaian",
        email="yohanes.bungaian@contoh.id",
    )
    return code


def _found(settings, needles: list[str]) -> list[str]:
    """Every place in the database (each value of each row of each table, the full-text index
    included) holding one of these words; digits are also compared without separators."""
    engine = db.engine_for(settings.database_url)
    found = []
    with engine.connect() as connection:
        for table in _tables(connection):
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    hit = _match(value, needles)
                    if hit:
                        found.append(f"{table}.{column}: {hit} in {str(value)[:120]!r}")
    return found


def _tables(connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        query = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    return [name for (name,) in connection.execute(sa.text(query))]


def _match(value, needles: list[str]) -> str | None:
    if isinstance(value, bytes | memoryview):
        raw = bytes(value).lower()
        return next((n for n in needles if n.encode() in raw), None)
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = text.lower()
    digits = re.sub(r"\D", "", text)
    for needle in needles:
        if needle in text or (needle.isdigit() and needle in digits):
            return needle
    return None


def _stored_files(settings) -> list[str]:
    root = settings.attachments_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _complaint(session: Session, code: str) -> Complaint:
    session.expire_all()
    return session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()


def _events(session: Session, complaint: Complaint) -> list[ComplaintEvent]:
    query = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
    return list(session.exec(query.order_by(ComplaintEvent.id)))


def _search_finds(session: Session, settings, word: str) -> list[int]:
    """Complaint ids the staff's full-text search index finds for a word."""
    word = search.stem(word)
    if settings.is_sqlite:
        query = "SELECT rowid FROM complaint_fts WHERE complaint_fts MATCH :w"
    else:
        query = "SELECT id FROM complaint WHERE search_terms @@ to_tsquery('simple', :w)"
    return [i for (i,) in session.execute(sa.text(query), {"w": word})]


# --- forget on request -------------------------------------------------------------------


def test_forget_leaves_no_trace_of_the_reporter_and_keeps_the_complaints(wired, session):
    code, key = _file_siti(wired)
    second, _ = _file(  # the same email: the same person, found together as "my complaints" do
        wired,
        text="Saluran air di gang sebelah tersumbat dan meluap setiap kali hujan turun deras.",
        email=SITI["email"],
    )
    maryati = _file_maryati(wired)
    other = _file_other(wired)
    assert _found(wired, SITI_NEEDLES), "the scenario must store Siti's identity somewhere"
    assert _search_finds(session, wired, "sutarni")
    files_before = _stored_files(wired)
    assert len(files_before) == 2
    pending = session.exec(select(Notification).where(Notification.address == SITI["email"])).all()
    assert pending, "messages to Siti were written"

    erased = privacy.forget(wired, code, now=FILED + timedelta(days=30))

    assert sorted(erased.complaints) == sorted([code, second])
    assert (erased.reporters, erased.attachments) == (2, 1)
    assert _found(wired, SITI_NEEDLES) == []
    assert _search_finds(session, wired, "sutarni") == []
    assert len(_stored_files(wired)) == 1  # Maryati's photo, not Siti's
    # The complaints stay, unlinked, with their text (her words blanked) and their events.
    kept = _complaint(session, code)
    assert kept.reporter_id is None and kept.identity_erased_at is not None
    assert "jalan di depan rumah saya rusak parah" in kept.text
    assert rules.BLANK in kept.text and kept.status == ComplaintStatus.CLOSED
    assert _search_finds(session, wired, "jalan"), "still found by its other words"
    events = _events(session, kept)
    assert [e.action for e in events[:3]] == ["submit", "route", "respond"]
    last = events[-1]
    assert last.action == "erase_identity" and last.public is False
    assert last.actor_kind == ActorKind.SYSTEM
    assert last.data == {"privacy": "request"} and "atas permintaan" in last.note
    assert session.exec(select(Attachment).where(Attachment.complaint_id == kept.id)).all() == []
    assert not reporter_key.matches(key, kept.reporter_key_hash, wired.secret_key)
    # Staff and the public read it as a complaint without a reporter.
    assert views.staff_view(session, kept, "ok")["reporter"] is None
    assert views.complaint_view(session, kept, wired.tz)["status"] == "closed"
    # Nothing more goes to her: what was still to be sent will not be.
    assert all(
        n.status.value in ("sent", "failed")
        for n in session.exec(select(Notification).where(Notification.address.is_(None)))
        if n.channel != "inapp"
    )
    # The others are untouched.
    assert _found(wired, MARYATI_NEEDLES) and _found(wired, OTHER_NEEDLES)
    assert _complaint(session, maryati).identity_erased_at is None
    assert _complaint(session, other).reporter_id is not None
    # Asked again: nothing left to erase, said so, nothing written.
    before = len(_events(session, kept))
    with pytest.raises(privacy.AlreadyErased):
        privacy.forget(wired, code, now=FILED + timedelta(days=31))
    assert len(_events(session, _complaint(session, code))) == before


def _bot_drafts(settings, *user_ids: int) -> None:
    """What the running bot keeps of these users in Redis, written by its own persistence."""
    from bots.persistence import RedisPersistence

    async def write() -> None:
        store = RedisPersistence(broker.redis_url(settings))
        for user_id in user_ids:
            await store.update_user_data(user_id, {"draft": {"id": 7, "text": "Maryatinah di"}})
            await store.update_conversation("filing", (user_id, user_id), 4)
        await store.flush()

    asyncio.run(write())


def _bot_users(settings) -> tuple[set[int], set[int]]:
    """The Telegram users with a draft, and with a conversation state."""
    client = broker.connect(settings)
    drafts = {int(u) for u in client.hkeys(redis_keys.bot_user_data())}
    talking = {json.loads(f)[1] for f in client.hkeys(redis_keys.bot_conversation("filing"))}
    return drafts, talking


def test_forget_a_telegram_reporter_erases_the_account_everywhere(wired, session):
    first = _file_maryati(wired)
    second = _file_maryati(wired, now=FILED + timedelta(days=2))
    someone_else = 5550001
    _bot_drafts(wired, TELEGRAM_ID, someone_else)
    privacy.forget(wired, second, now=FILED + timedelta(days=3))
    assert _found(wired, MARYATI_NEEDLES) == []
    assert _stored_files(wired) == []
    assert session.exec(select(Reporter)).all() == []
    assert _complaint(session, first).identity_erased_at is not None
    # The bot's draft of hers and where she was in a conversation are gone; others stay.
    assert _bot_users(wired) == ({someone_else}, {someone_else})


# --- retention ------------------------------------------------------------------------------


def test_retention_erases_what_ended_longer_ago_and_is_idempotent(wired, session):
    code, _ = _file_siti(wired)  # closed by her rating, the day after filing
    maryati = _file_maryati(wired)
    _close(wired, maryati, FILED + timedelta(days=5))
    still_open = _file_other(wired)
    assert privacy.policy_in_force(wired, session).identity_years == 2  # privacy.yaml

    two_years = FILED.replace(year=FILED.year + 2)
    early = privacy.apply_retention(wired, now=two_years)  # both ended after FILED
    assert early.complaints == 0
    assert _found(wired, MARYATI_NEEDLES)

    after = two_years + timedelta(days=30)
    first = privacy.apply_retention(wired, now=after, most=1)  # a run's cap: the next goes on
    run = privacy.apply_retention(wired, now=after, batch=1)  # one complaint per transaction
    assert len(first.codes) == len(run.codes) == 1
    assert sorted(first.codes + run.codes) == sorted([code, maryati])
    assert (first.reporters + run.reporters, first.attachments + run.attachments) == (2, 2)
    assert _found(wired, SITI_NEEDLES + MARYATI_NEEDLES) == []
    assert _stored_files(wired) == []
    # The complaint that has not ended keeps its reporter.
    assert _found(wired, OTHER_NEEDLES)
    assert _complaint(session, still_open).identity_erased_at is None
    for kept in (code, maryati):
        complaint = _complaint(session, kept)
        assert complaint.status == ComplaintStatus.CLOSED and complaint.text
        last = _events(session, complaint)[-1]
        assert last.action == "erase_identity" and last.data == {"privacy": "retention"}
        assert "2 tahun" in last.note

    events = len(_events(session, _complaint(session, code)))
    again = privacy.apply_retention(wired, now=after + timedelta(days=1))
    assert again.complaints == 0
    assert len(_events(session, _complaint(session, code))) == events


def test_retention_keeps_a_telegram_account_with_a_complaint_still_within_the_period(
    wired, session
):
    old = _file_maryati(wired)
    _close(wired, old, FILED + timedelta(days=5))
    recent = _file_maryati(wired, now=FILED + timedelta(days=700))
    _bot_drafts(wired, TELEGRAM_ID)
    privacy.apply_retention(wired, now=FILED + timedelta(days=365 * 2 + 10))
    assert _complaint(session, old).reporter_id is None
    assert _complaint(session, recent).reporter_id is not None
    account = session.exec(select(Reporter)).one()
    assert account.telegram_user_id == TELEGRAM_ID
    assert len(_stored_files(wired)) == 1  # the recent complaint's photo
    assert _bot_users(wired) == ({TELEGRAM_ID}, {TELEGRAM_ID})  # the account is still in use
    _close(wired, recent, FILED + timedelta(days=701))
    privacy.apply_retention(wired, now=FILED + timedelta(days=701 + 365 * 2 + 10))
    assert session.exec(select(Reporter)).all() == []
    assert _bot_users(wired) == (set(), set())  # gone with the account


def test_the_daily_job_runs_through_the_queue(wired, session):
    code, _ = _file_siti(wired)  # ended in 2023: past two years by now
    jobs.enqueue_retention(wired)
    work(wired)
    assert _complaint(session, code).identity_erased_at is not None
    assert _found(wired, SITI_NEEDLES) == []


def test_the_policy_is_checked_and_a_change_is_audited(wired, session):
    for bad in (0, 31, "2", True, None):
        with pytest.raises(rules.PrivacyPolicyError):
            privacy.set_retention(wired, privacy.changes.CLI, bad, now=FILED)
    with pytest.raises(rules.PrivacyPolicyError):
        rules.RetentionPolicy.from_dict({"retention": {"identity_year": 2}})
    privacy.set_retention(wired, privacy.changes.CLI, 5, now=FILED)
    assert privacy.policy_in_force(wired, session).identity_years == 5
    change = session.exec(select(ConfigChange).where(ConfigChange.subject == "privacy")).one()
    assert change.before == {"retention": {"identity_years": 2}}
    assert change.after == {"retention": {"identity_years": 5}}
    assert rules.years_before(datetime(2028, 2, 29, tzinfo=UTC), 2) == datetime(
        2026, 2, 28, tzinfo=UTC
    )


# --- the reporter's copy ----------------------------------------------------------------------


def test_export_gives_the_reporter_their_data(wired):
    code, _ = _file_siti(wired)
    second, _ = _file(
        wired,
        text="Saluran air di gang sebelah tersumbat dan meluap setiap kali hujan turun deras.",
        email=SITI["email"],
    )
    _file_other(wired)
    data = privacy.export(wired, code.lower(), now=FILED + timedelta(days=2))
    json.dumps(data)  # JSON-ready
    assert {i["email"] for i in data["identities"]} == {SITI["email"]}
    assert any(i["name"] == SITI["name"] and i["phone"] == "+6281277773131"
               for i in data["identities"])  # fmt: skip
    by_code = {c["tracking_code"]: c for c in data["complaints"]}
    assert set(by_code) == {code, second}
    first = by_code[code]
    assert first["attachments"][0]["filename"] == "jalan.jpg"
    assert first["ratings"][0]["comment"] == "Terima kasih, Sutarni"
    assert [e["action"] for e in first["timeline"]][:2] == ["submit", "route"]
    assert any(m["address"] == SITI["email"] for m in first["messages"])
    assert "yohanes" not in json.dumps(data).lower()
    with pytest.raises(NotFound):
        privacy.export(wired, "ZZZZZZZZZZ", now=FILED)


# --- the commands ---------------------------------------------------------------------------


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, **kw: runner.invoke(main, list(args), **kw)


def test_privacy_commands(settings, cli, session):
    code, _ = _file(settings, text="Jembatan kayu di desa kami patah dan berbahaya dilewati anak.",
                    name="Sutarni Wibisana", email=SITI["email"])  # fmt: skip
    shown = f"{code[:5]}-{code[5:]}"

    exported = cli("privacy", "export", shown)
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["identities"][0]["email"] == SITI["email"]

    for command in ("export", "forget"):
        extra = ["--yes"] if command == "forget" else []
        unknown = cli("privacy", command, "ZZZZZ-ZZZZZ", *extra)
        assert unknown.exit_code == 1
        assert "Gagal: Pengaduan ZZZZZ-ZZZZZ tidak ditemukan." in unknown.output
        invalid = cli("privacy", command, "bukan-kode")
        assert invalid.exit_code == 1 and "Kode pelacakan tidak valid" in invalid.output

    declined = cli("privacy", "forget", shown, input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert _complaint(session, code).reporter_id is not None

    forgot = cli("privacy", "forget", shown, input="y\n")
    assert forgot.exit_code == 0, forgot.output
    assert "dihapus dari 1 pengaduan" in forgot.output
    assert _found(settings, ["sutarni"]) == []
    again = cli("privacy", "forget", shown, "--yes")
    assert again.exit_code == 1 and "sudah dihapus" in again.output

    assert cli("privacy", "retention").output.startswith("Identitas, kontak dan lampiran")
    assert "3 tahun" in cli("privacy", "retention", "--years", "3").output
    refused = cli("privacy", "retention", "--years", "0")
    assert refused.exit_code == 1 and "Gagal: identity_years" in refused.output
    applied = cli("privacy", "apply", "--now", "2030-01-01T00:00")
    assert applied.exit_code == 0 and "Retensi 3 tahun" in applied.output
    bad_time = cli("privacy", "apply", "--now", "kemarin")
    assert bad_time.exit_code == 1 and "Waktu tidak valid" in bad_time.output


def test_the_privacy_page_says_the_regions_retention(settings, client):
    page = client.get("/privasi")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Kebijakan privasi" in text and "dihapus 2 tahun setelah" in text
    privacy.set_retention(settings, privacy.changes.CLI, 1, now=FILED)
    english = client.get("/privasi?lang=en").get_data(as_text=True)
    assert "Privacy policy" in english and "erased one year after" in english
