"""The intake service: validation, privacy flags, attachments, idempotency, atomicity."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from lapor.domain import tracking
from lapor.domain.errors import IdempotencyConflict, ValidationFailed
from lapor.domain.files import MAX_FILE_BYTES
from lapor.domain.intake import RoutingDecision, Submission, Upload, submit, validate
from lapor.infra import db
from lapor.infra.region import gazetteer_for
from models import (
    Attachment,
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    IntakeRequest,
    Reporter,
)

from support import decoded, domain_effects, jpeg

EFFECTS = domain_effects()

SECRET = "installation-secret"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
JPEG = jpeg()
PDF = b"%PDF-1.7\n" + b"x" * 100
GAZETTEER = gazetteer_for("kalteng")


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in (Complaint, ComplaintEvent, Attachment, Reporter, IntakeRequest)
    }


def _files(settings) -> list:
    return [p for p in settings.attachments_dir.rglob("*") if p.is_file()]


def test_a_complete_submission_is_stored_with_reporter_files_and_event(session, store, settings):
    submission = Submission(
        text="Lampu jalan mati sejak seminggu di Jl. G. Obos",
        title="  Lampu   jalan mati ",
        regency="palangka raya",
        district="jekan raya",
        address="Jl. G. Obos IX",
        lat=-2.21,
        lon=113.9,
        name="Siti",
        email="Siti@Example.ID",
        phone="0812-3456-7890",
        uploads=[Upload("foto jalan.JPG", JPEG), Upload("../../surat.pdf", PDF)],
    )
    result = submit(session, submission, now=NOW, store=store, gazetteer=GAZETTEER, **EFFECTS)
    session.commit()
    complaint = result.complaint
    assert result.created
    assert tracking.normalize(complaint.tracking_code) == complaint.tracking_code
    assert complaint.status == ComplaintStatus.RECEIVED
    assert complaint.title == "Lampu jalan mati"
    assert (complaint.regency, complaint.district) == ("Kota Palangka Raya", "Jekan Raya")
    assert complaint.received_at == NOW
    reporter = session.get(Reporter, complaint.reporter_id)
    assert (reporter.email, reporter.phone) == ("siti@example.id", "+6281234567890")
    files = session.exec(select(Attachment).order_by(Attachment.id)).all()
    assert [(f.filename, f.content_type) for f in files] == [
        ("foto jalan.jpg", "image/jpeg"),
        ("surat.pdf", "application/pdf"),
    ]
    for row in files:
        path = store.open(row.path)
        content = path.read_bytes()
        assert content == PDF if row.content_type == "application/pdf" else decoded(content)
        assert settings.attachments_dir.resolve() in path.parents
    event = session.exec(select(ComplaintEvent)).one()
    assert (event.action, event.status_from, event.status_to) == ("submit", None, "received")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"text": "   "}, "text", "too_short"),
        ({"text": "x" * 5001}, "text", "too_long"),
        ({"title": "t" * 151}, "title", "too_long"),
        ({"regency": "Jakarta Selatan"}, "regency", "unknown"),
        ({"regency": "Kapuas", "district": "Jekan Raya"}, "district", "unknown"),
        ({"district": "Jekan Raya"}, "regency", "required"),
        ({"lat": 95, "lon": 113}, "lat", "out_of_range"),
        ({"lat": -2.2, "lon": 200}, "lon", "out_of_range"),
        ({"lat": "abc", "lon": 1}, "lat", "invalid"),
        ({"lat": float("nan"), "lon": 1}, "lat", "out_of_range"),
        ({"email": "bukan-email"}, "email", "invalid"),
        ({"phone": "12ab"}, "phone", "invalid"),
        ({"phone": "0812"}, "phone", "invalid"),
        ({"name": "n" * 121}, "name", "too_long"),
        ({"uploads": [Upload("a.exe", b"MZ\x90\x00")]}, "attachments", "bad_type"),
        ({"uploads": [Upload("x.jpg", b"")]}, "attachments", "empty"),
        ({"uploads": [Upload("b.jpg", JPEG + b"0" * MAX_FILE_BYTES)]}, "attachments", "too_large"),
        ({"uploads": [Upload(f"{i}.jpg", JPEG) for i in range(6)]}, "attachments", "too_many"),
        ({"idempotency_key": "k" * 201}, "idempotency_key", "too_long"),
    ],
)
def test_field_rules_name_the_field_and_store_nothing(
    session, store, settings, changes, field, code
):
    values = {"text": "Jalan rusak parah di desa kami", **changes}
    with pytest.raises(ValidationFailed) as failed:
        submit(session, Submission(**values), now=NOW, store=store, gazetteer=GAZETTEER, **EFFECTS)
    problem = failed.value.fields[field]
    assert problem.code == code and problem.message
    session.rollback()
    assert set(_counts(session).values()) == {0}
    assert _files(settings) == []


def test_validation_reports_every_field_at_once():
    with pytest.raises(ValidationFailed) as failed:
        validate(Submission(text="", email="x", phone="1"))
    assert set(failed.value.fields) == {"text", "email", "phone"}


def test_text_is_cleaned_of_control_characters_but_keeps_lines():
    clean = validate(Submission(text="Baris satu\r\nbaris\x00 dua\x1b"))
    assert clean.text == "Baris satu\nbaris dua"


@pytest.mark.parametrize("raw", ["08123456789", "+62 812-3456-789", "628123456789"])
def test_indonesian_phone_numbers_are_normalised(raw):
    assert validate(Submission(text="Isi pengaduan", phone=raw)).phone == "+628123456789"


def test_privacy_flags_are_independent_and_kept(session, store):
    for anonymous in (False, True):
        for confidential in (False, True):
            complaint = submit(
                session,
                Submission(
                    text="Pungutan liar di sekolah",
                    anonymous=anonymous,
                    confidential=confidential,
                    name="Budi",
                ),
                now=NOW,
                store=store,
                **EFFECTS,
            ).complaint
            assert (complaint.anonymous, complaint.confidential) == (anonymous, confidential)
            # The reporter is stored even when anonymous: notifications still reach them.
            assert complaint.reporter_id is not None


def test_same_idempotency_key_makes_one_complaint(session, store):
    submission = Submission(
        text="Sampah menumpuk", idempotency_key="form-123", uploads=[Upload("a.jpg", JPEG)]
    )
    first = submit(session, submission, now=NOW, store=store, secret=SECRET, **EFFECTS)
    session.commit()
    again = submit(session, submission, now=NOW, store=store, secret=SECRET, **EFFECTS)
    session.commit()
    assert first.created and not again.created
    assert again.complaint.id == first.complaint.id
    # The retry gets the key of the first answer back (it was sent because that was lost).
    assert again.reporter_key == first.reporter_key is not None
    assert _counts(session)["Complaint"] == 1
    assert _counts(session)["Attachment"] == 1


def test_idempotency_keys_are_per_channel(session, store):
    web = submit(
        session,
        Submission(text="Sampah menumpuk", idempotency_key="7"),
        now=NOW,
        store=store,
        secret=SECRET,
        **EFFECTS,
    )
    bot = submit(
        session,
        Submission(text="Sampah menumpuk", idempotency_key="7", channel=Channel.TELEGRAM),
        now=NOW,
        store=store,
        secret=SECRET,
        **EFFECTS,
    )
    assert web.complaint.id != bot.complaint.id
    assert web.reporter_key != bot.reporter_key


def test_an_idempotent_submission_needs_the_installation_secret(session, store):
    with pytest.raises(ValueError, match="secret"):
        submit(
            session,
            Submission(text="Sampah menumpuk", idempotency_key="8"),
            now=NOW,
            store=store,
            **EFFECTS,
        )


def test_reusing_a_key_for_other_content_is_refused(session, store):
    submit(
        session,
        Submission(text="Sampah menumpuk", idempotency_key="k1"),
        now=NOW,
        store=store,
        secret=SECRET,
        **EFFECTS,
    )
    session.commit()
    with pytest.raises(IdempotencyConflict):
        submit(
            session,
            Submission(text="Hal lain sama sekali", idempotency_key="k1"),
            now=NOW,
            store=store,
            secret=SECRET,
            **EFFECTS,
        )


def test_concurrent_duplicates_make_one_complaint(settings, store):
    """Two requests with one key racing through separate transactions: one complaint."""
    submission = Submission(text="Air PDAM keruh", idempotency_key="race")
    barrier = threading.Barrier(4)
    results, errors = [], []

    def post() -> None:
        barrier.wait()
        try:
            results.append(
                db.run_in_transaction(
                    settings,
                    lambda s: (
                        submit(
                            s, submission, now=NOW, store=store, secret=SECRET, **EFFECTS
                        ).complaint.id
                    ),
                )
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    with Session(db.engine_for(settings.database_url)) as check:
        assert _counts(check)["Complaint"] == 1


def test_a_failure_midway_leaves_no_rows_and_no_files(settings, store):
    """The second file cannot be written: nothing of the complaint may remain."""

    class FailingStore(type(store)):
        def save(self, session, content, extension):
            if content == PDF:
                raise OSError("disk full")
            return super().save(session, content, extension)

    failing = FailingStore(settings.attachments_dir)
    submission = Submission(
        text="Banjir di jalan", name="Ani", uploads=[Upload("a.jpg", JPEG), Upload("b.pdf", PDF)]
    )
    with pytest.raises(OSError):
        db.run_in_transaction(
            settings, lambda s: submit(s, submission, now=NOW, store=failing, **EFFECTS)
        )
    with Session(db.engine_for(settings.database_url)) as check:
        assert set(_counts(check).values()) == {0}
    assert _files(settings) == []


def test_a_sure_router_disposes_and_an_unsure_one_leaves_it_for_triage(session, store):
    def router_saying(auto: bool):
        return lambda _sub: RoutingDecision(
            "Dinas Kesehatan", 0.97 if auto else 0.4, "DINKES", auto, "m1"
        )

    sure = submit(
        session,
        Submission(text="Puskesmas tutup siang"),
        now=NOW,
        store=store,
        router=router_saying(True),
        **EFFECTS,
    ).complaint
    unsure = submit(
        session,
        Submission(text="Puskesmas tutup siang lagi"),
        now=NOW,
        store=store,
        router=router_saying(False),
        **EFFECTS,
    ).complaint
    session.commit()
    assert sure.status == ComplaintStatus.ROUTED and sure.agency_id is not None
    assert sure.routing_confidence == 0.97 and sure.model_version == "m1"
    assert unsure.status == ComplaintStatus.RECEIVED and unsure.agency_id is None
    assert unsure.routing_label == "Dinas Kesehatan"
    actions = session.exec(
        select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == sure.id)
    ).all()
    assert actions == ["submit", "route"]


def test_telegram_reporters_are_one_row_per_account(session, store):
    for text in ("Jalan rusak satu", "Jalan rusak dua"):
        submit(
            session,
            Submission(
                text=text, channel=Channel.TELEGRAM, telegram_user_id=4242, telegram_chat_id=4242
            ),
            now=NOW,
            store=store,
            **EFFECTS,
        )
    assert _counts(session)["Reporter"] == 1


def test_the_configuration_is_read_again_when_its_version_moves(settings):
    """Intake's copy of the agency table: the version is asked for once per `check_every`,
    and the table is read again only when a change raised it."""
    from lapor.infra.directory import ConfigDirectory, bump_version
    from models import Agency

    now = [0.0]
    config = ConfigDirectory(check_every=2, clock=lambda: now[0])
    first = config.snapshot(settings)
    assert first.agencies["DISHUB"].active
    with db.session_scope(settings) as session:
        dishub = session.exec(select(Agency).where(Agency.code == "DISHUB")).one()
        dishub.active = False
    now[0] = 5.0
    assert config.snapshot(settings) is first  # no version change: the copy stands
    with db.session_scope(settings) as session:
        bump_version(session, NOW)
    now[0] = 6.0
    assert config.snapshot(settings) is first  # checked 1 s ago: trusted
    now[0] = 7.0
    again = config.snapshot(settings)
    assert again.version == first.version + 1 and not again.agencies["DISHUB"].active
    with db.session_scope(settings) as session:
        bump_version(session, NOW)
    assert config.snapshot(settings) is again  # trusted for two seconds…
    assert config.snapshot(settings, fresh=True).version == again.version + 1  # …unless asked
