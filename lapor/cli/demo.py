"""`lapor demo`: an account per role and some fifty sample complaints in every state and at
every escalation level, so that a newcomer can try each screen at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from lapor.domain import workflow
from lapor.domain.errors import DomainError
from lapor.domain.intake import Submission, submit
from lapor.domain.workflow import Action, RejectReason
from lapor.infra import db
from lapor.infra.region import gazetteer_for
from lapor.infra.settings import Settings
from lapor.infra.storage import AttachmentStore
from lapor.services import accounts
from lapor.services import sweep as sla
from lapor.services.effects import act, deadlines_for, notices_for
from models import Agency, Complaint, Feedback, Role, User

ACCOUNTS = [
    ("demo-admin", Role.ADMIN, None, "Admin Demo"),
    ("demo-supervisor", Role.SUPERVISOR, None, "Supervisor Demo"),
    ("demo-verifikator", Role.VERIFIER, None, "Verifikator Demo"),
    ("demo-dishub", Role.OFFICER, "DISHUB", "Petugas Dishub"),
    ("demo-pupr", Role.OFFICER, "PUPR", "Petugas PUPR"),
]

# (text, regency, the OPD it belongs to)
SAMPLES = [
    (
        "Lampu lalu lintas di simpang Jl. Yos Sudarso mati sejak dua hari, rawan kecelakaan.",
        "Kota Palangka Raya",
        "DISHUB",
    ),
    (
        "Jalan provinsi di km 12 berlubang besar, sudah ada pengendara motor yang jatuh.",
        "Kabupaten Kapuas",
        "PUPR",
    ),
    (
        "Bus antarkota di terminal menaikkan tarif tanpa pemberitahuan.",
        "Kota Palangka Raya",
        "DISHUB",
    ),
    (
        "Drainase di tepi jalan provinsi tersumbat, air meluap ke rumah warga saat hujan.",
        "Kabupaten Pulang Pisau",
        "PUPR",
    ),
    (
        "Rambu larangan parkir di depan pasar tertutup pohon sehingga tidak terlihat.",
        "Kabupaten Kotawaringin Timur",
        "DISHUB",
    ),
    (
        "Jembatan kayu penghubung dua desa rapuh dan papannya banyak yang patah.",
        "Kabupaten Katingan",
        "PUPR",
    ),
]
SCENARIOS = [
    "triage_new",
    "triage_late",
    "routed",
    "late_answer",
    "very_late_answer",
    "in_progress",
    "needs_info",
    "resolved",
    "rated",
    "reopened",
    "rejected",
    "forwarded",
    "transferred",
]


@dataclass
class DemoResult:
    passwords: dict[str, str]
    complaints: int
    escalations: dict[str, int]


def create_demo(settings: Settings, now: datetime, count: int = 52) -> DemoResult:
    """Create the accounts (refusing when they exist) and `count` sample complaints."""
    passwords = _accounts(settings, now)
    for index in range(count):
        text, regency, agency = SAMPLES[index % len(SAMPLES)]
        scenario = SCENARIOS[index % len(SCENARIOS)]
        _sample(settings, text, regency, agency, scenario, index, now)
    result = sla.sweep(settings, now)
    return DemoResult(passwords, count, dict(result.actions))


def _accounts(settings: Settings, now: datetime) -> dict[str, str]:
    passwords = {}
    with db.session_scope(settings) as session:
        names = [name for name, *_ in ACCOUNTS]
        if session.exec(select(User).where(User.username.in_(names))).first() is not None:
            raise DomainError(
                "Data demo sudah ada di basis data ini (akun demo-* ditemukan).",
                code="demo_exists",
            )
        for username, role, agency, full_name in ACCOUNTS:
            password = secrets.token_urlsafe(12)
            accounts.create_user(
                session,
                username=username,
                password=password,
                role=role,
                agency_code=agency,
                full_name=full_name,
                now=now,
            )
            passwords[username] = password
    return passwords


def _sample(settings, text, regency, agency_code, scenario, index, now) -> None:
    """One complaint, filed in the past and taken through its scenario's actions."""
    days_ago = {"triage_late": 9, "late_answer": 9, "very_late_answer": 21}.get(scenario, 3)
    received = now - timedelta(days=days_ago, hours=index % 7)
    deadlines, notices = deadlines_for(settings), notices_for(settings)
    submission = Submission(
        text=text,
        regency=regency,
        name=f"Warga Demo {index + 1}",
        email=f"warga{index + 1}@contoh.id",
        anonymous=index % 4 == 0,
        confidential=index % 5 == 0,
    )

    def work(session: Session) -> None:
        result = submit(
            session,
            submission,
            now=received,
            store=AttachmentStore(settings.attachments_dir),
            gazetteer=gazetteer_for(settings.region),
            router=None,
            deadlines=deadlines,
            notices=notices,
        )
        _play(settings, session, result.complaint, agency_code, scenario, received)

    db.run_in_transaction(settings, work)


def _play(settings, session, complaint: Complaint, agency_code, scenario, received) -> None:
    if scenario.startswith("triage"):
        return
    staff = workflow.Actor.staff(None)
    agency = session.exec(select(Agency).where(Agency.code == agency_code)).one()
    hour = timedelta(hours=2)

    def do(action: Action, at: datetime, actor=staff, **change) -> None:
        act(
            settings,
            session,
            complaint,
            action,
            actor=actor,
            now=at,
            change=workflow.Change(**change),
        )

    if scenario == "rejected":
        do(Action.REJECT, received + hour, reason=RejectReason.SPAM)
        return
    if scenario == "forwarded":
        do(Action.FORWARD, received + hour, note="Diteruskan ke PLN UID Kalselteng.")
        return
    do(Action.VERIFY, received + hour, agency=agency)
    if scenario in ("routed", "late_answer", "very_late_answer"):
        return
    if scenario == "transferred":
        other = "PUPR" if agency_code == "DISHUB" else "DISHUB"
        target = session.exec(select(Agency).where(Agency.code == other)).one()
        do(Action.TRANSFER, received + 2 * hour, agency=target, note="Bukan urusan kami.")
        return
    if scenario == "needs_info":
        do(Action.REQUEST_INFO, received + 2 * hour, note="Mohon sebutkan patokan lokasinya.")
        return
    do(Action.RESPOND, received + 3 * hour, note="Laporan diterima, petugas akan ke lokasi.")
    if scenario == "in_progress":
        return
    do(Action.RESOLVE, received + 5 * hour, note="Sudah diperbaiki. Terima kasih.")
    if scenario == "rated":
        session.add(Feedback(complaint_id=complaint.id, rating=4, created_at=received + 6 * hour))
        complaint.rating = 4  # as a real rating does: the dashboard reads it from the row
        do(Action.CLOSE, received + 6 * hour, actor=workflow.Actor.reporter())
    elif scenario == "reopened":
        do(
            Action.REOPEN,
            received + 6 * hour,
            actor=workflow.Actor.reporter(),
            note="Masih rusak di sisi lain.",
        )
