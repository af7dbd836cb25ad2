"""The Telegram bot: the real PTB Application polling a local Bot API server, fed updates in
the shapes of Telegram's documentation; assertions on the calls it makes and on what lands
in the database."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from datetime import UTC, datetime

import pytest
import redis
from sqlmodel import Session, select

from bots.app import FLOOD_LIMIT, FLOOD_WINDOW_SECONDS, build_application, file_url
from lapor.domain import workflow
from lapor.infra import broker, db, redis_keys
from lapor.services import accounts, privacy
from models import Attachment, Channel, Complaint, ComplaintStatus, Feedback

from fakes import FakeTelegram
from support import act_on, assert_no_metadata, export_settings, jpeg_with_gps, work

pytestmark = pytest.mark.slow  # a real browser / bot: run by `make test-slow`

USER, CHAT = 4242, 4242
JPEG = jpeg_with_gps((40, 30))
PDF = b"%PDF-1.4\n" + b"0" * 200


class RunningBot:
    """The bot's Application polling the fake server from its own event loop and thread."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.application = None

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def start(self) -> RunningBot:
        self.thread.start()
        self.application = build_application(self.settings)

        async def go():
            await self.application.initialize()
            await self.application.updater.start_polling(poll_interval=0, timeout=1)
            await self.application.start()

        self._run(go())
        return self

    def stop(self) -> None:
        async def halt():
            await self.application.updater.stop()
            await self.application.stop()
            await self.application.shutdown()

        self._run(halt())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture
def bot_settings(settings, telegram, monkeypatch):
    configured = settings.with_overrides(
        {"telegram_bot_token": telegram.token, "telegram_api_url": telegram.url}
    )
    export_settings(monkeypatch, configured)
    return configured


@pytest.fixture
def bot(bot_settings):
    running = RunningBot(bot_settings).start()
    yield running
    running.stop()


_message_ids = iter(range(1000, 10**6))


def user() -> dict:
    return {"id": USER, "is_bot": False, "first_name": "Siti", "last_name": "Rahma"}


def message(**content) -> dict:
    return {
        "message": {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": {"id": CHAT, "type": "private", "first_name": "Siti"},
            "from": user(),
            **content,
        }
    }


def text(value: str) -> dict:
    if value.startswith("/"):
        command = value.split()[0]
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return message(text=value, entities=entities)
    return message(text=value)


def reply_to(telegram: FakeTelegram, bots_text: str, words: str, sender=None) -> dict:
    """The user's answer, by Telegram's reply, to a message of the bot's."""
    update = message(
        text=words,
        reply_to_message={
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": CHAT, "type": "private"},
            "from": telegram._bot_user(),
            "text": bots_text,
        },
    )
    if sender is not None:
        update["message"]["from"] = sender
    return update


def press(data: str) -> dict:
    origin = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": CHAT, "type": "private"},
        "text": "…",
    }
    return {
        "callback_query": {
            "id": f"cb{next(_message_ids)}",
            "from": user(),
            "chat_instance": "ci-1",
            "data": data,
            "message": origin,
        }
    }


def say(telegram: FakeTelegram, update: dict, expect: str) -> str:
    """Send an update and wait for the bot's answer containing `expect`."""
    before = len(telegram.texts())
    telegram.push(update)
    return telegram.wait_for_text(expect, after=before)


def last_button_data(telegram: FakeTelegram, text_fragment: str) -> str:
    """The first button's callback data on the newest message containing the fragment."""
    import json

    for sent in reversed(telegram.sent()):
        if text_fragment in sent.get("text", ""):
            markup = json.loads(sent["reply_markup"])
            return markup["inline_keyboard"][0][0]["callback_data"]
    raise AssertionError(f"no message with {text_fragment!r}")


def complaints(settings) -> list[Complaint]:
    with Session(db.engine_for(settings.database_url)) as session:
        return list(session.exec(select(Complaint)).all())


def fill_to_summary(telegram: FakeTelegram, anonymous: str = "0", secret: str = "0") -> None:
    say(telegram, text("/lapor"), "Tulis isi pengaduan")
    say(telegram, text("Lampu jalan mati di Jl. Tjilik Riwut km 5 sejak seminggu"), "lokasinya")
    say(telegram, text("/lewati"), "Kirim foto")
    say(telegram, text("/lewati"), "identitas")
    say(telegram, press(f"anon:{anonymous}"), "isi pengaduan dari publik")
    say(telegram, press(f"secret:{secret}"), "Kirim sekarang?")


# --- filing ---------------------------------------------------------------------------


def test_the_file_url_follows_the_api_url():
    assert file_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"


def test_a_full_filing_with_location_photo_and_document(bot, telegram, bot_settings, client):
    telegram.add_file("photo-big", JPEG)
    telegram.add_file("doc-1", PDF)
    say(telegram, text("/start"), "Tulis isi pengaduan")
    say(telegram, text("Jalan berlubang besar di depan SDN 3, membahayakan anak sekolah"), "lokasi")
    say(telegram, message(location={"latitude": -2.2096, "longitude": 113.9136}), "Kirim foto")
    photo = [
        {"file_id": "photo-small", "file_unique_id": "s1", "width": 90, "height": 90},
        {
            "file_id": "photo-big",
            "file_unique_id": "b1",
            "width": 800,
            "height": 600,
            "file_size": len(JPEG),
        },
    ]
    say(telegram, message(photo=photo), "(1/5)")
    document = {
        "file_id": "doc-1",
        "file_unique_id": "d1",
        "file_name": "surat.pdf",
        "mime_type": "application/pdf",
        "file_size": len(PDF),
    }
    say(telegram, message(document=document), "(2/5)")
    say(telegram, text("/selesai"), "identitas")
    say(telegram, press("anon:1"), "publik")
    summary = say(telegram, press("secret:1"), "Kirim sekarang?")
    assert "Lampiran: 2 berkas" in summary and "Anonim: Ya" in summary
    receipt = say(telegram, press(last_button_data(telegram, "Kirim sekarang?")), "Kode pelacakan")

    [complaint] = complaints(bot_settings)
    assert complaint.channel == Channel.TELEGRAM
    assert (complaint.lat, complaint.lon) == (-2.2096, 113.9136)
    assert complaint.anonymous and complaint.confidential
    code = complaint.tracking_code
    assert f"{code[:5]}-{code[5:]}" in receipt
    assert "sedang diverifikasi" in receipt or "OPD: Dinas" in receipt
    with Session(db.engine_for(bot_settings.database_url)) as session:
        files = session.exec(select(Attachment).where(Attachment.complaint_id == complaint.id))
        files = {a.content_type: a for a in files}
    assert sorted(files) == ["application/pdf", "image/jpeg"]
    photo_path = bot_settings.attachments_dir / files["image/jpeg"].path
    assert_no_metadata(photo_path.read_bytes())  # the phone's GPS position is not kept
    # The web tracking page shows a confidential complaint's content to its reporter only:
    # the receipt's private link opens it.
    public = client.get(f"/lacak/{code}").get_data(as_text=True)
    assert "Jalan berlubang besar" not in public and 'id="withheld"' in public
    link = re.search(r"http\S+(/lacak/\S+\?kunci=\S+)", receipt).group(1)
    opened = client.get(link)
    assert opened.status_code == 303
    own = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Jalan berlubang besar" in own


def test_a_typed_place_is_checked_against_the_region(bot, telegram, bot_settings):
    say(telegram, text("/lapor"), "Tulis isi pengaduan")
    say(telegram, text("Sampah menumpuk di pasar sudah seminggu"), "lokasinya")
    answer = say(telegram, text("Kota Atlantis, Tengah"), "tidak dikenal")
    assert "Palangka Raya" in answer
    say(telegram, text("Palangka Raya, Sebangau"), "Kirim foto")
    say(telegram, text("/lewati"), "identitas")
    say(telegram, press("anon:0"), "publik")
    say(telegram, press("secret:0"), "Kirim sekarang?")
    say(telegram, press(last_button_data(telegram, "Kirim sekarang?")), "Kode pelacakan")
    [complaint] = complaints(bot_settings)
    assert (complaint.regency, complaint.district) == ("Kota Palangka Raya", "Sabangau")


def test_cancel_leaves_nothing(bot, telegram, bot_settings):
    say(telegram, text("/lapor"), "Tulis isi pengaduan")
    say(telegram, text("Pungutan liar saat mengurus KTP di kecamatan"), "lokasinya")
    say(telegram, text("/batal"), "dibatalkan")
    say(telegram, text("/batal"), "Tidak ada pengaduan yang sedang dibuat")
    assert complaints(bot_settings) == []


def test_confirming_twice_files_one_complaint(bot, telegram, bot_settings):
    fill_to_summary(telegram)
    send = last_button_data(telegram, "Kirim sekarang?")
    say(telegram, press(send), "Kode pelacakan")
    again = say(telegram, press(send), "sudah terkirim")
    assert len(complaints(bot_settings)) == 1
    code = complaints(bot_settings)[0].tracking_code
    assert f"{code[:5]}-{code[5:]}" in again


def test_the_same_update_delivered_twice_files_one_complaint(bot, telegram, bot_settings):
    fill_to_summary(telegram)
    telegram.push(press(last_button_data(telegram, "Kirim sekarang?")), copies=2)
    telegram.wait_for_text("Kode pelacakan")
    telegram.wait_for(
        lambda: len([t for t in telegram.texts() if "terkirim" in t or "Kode pelacakan" in t]) >= 2
    )
    assert len(complaints(bot_settings)) == 1


def test_status_of_one_code_and_of_all_my_complaints(bot, telegram, bot_settings):
    fill_to_summary(telegram)
    say(telegram, press(last_button_data(telegram, "Kirim sekarang?")), "Kode pelacakan")
    code = complaints(bot_settings)[0].tracking_code
    shown = f"{code[:5]}-{code[5:]}"
    one = say(telegram, text(f"/status {shown}"), "Status:")
    assert shown in one and "Diterima" in one
    mine = say(telegram, text("/status"), "Pengaduan Anda:")
    assert shown in mine
    assert "tidak ditemukan" in say(telegram, text("/status ABCDE-FGHJK"), "tidak ditemukan")
    assert "10 huruf" in say(telegram, text("/status 12"), "10 huruf")


def test_a_question_is_pushed_and_a_reply_resumes_the_clock(bot, telegram, bot_settings, client):
    fill_to_summary(telegram)
    say(telegram, press(last_button_data(telegram, "Kirim sekarang?")), "Kode pelacakan")
    code = complaints(bot_settings)[0].tracking_code
    _act(bot_settings, code, workflow.Action.VERIFY, agency="DISHUB")
    # In the officer's queue exactly like a complaint from the form.
    with Session(db.engine_for(bot_settings.database_url)) as session:
        accounts.create_user(
            session,
            username="petugas",
            password="kata-sandi-panjang",
            role="officer",
            agency_code="DISHUB",
            now=datetime.now(UTC),
        )
        token = accounts.create_token(session, "petugas", now=datetime.now(UTC))
        session.commit()
    listed = client.get("/api/v1/staff/complaints", headers={"Authorization": f"Bearer {token}"})
    assert [c["tracking_code"] for c in listed.get_json()["complaints"]] == [
        f"{code[:5]}-{code[5:]}"
    ]
    _act(bot_settings, code, workflow.Action.REQUEST_INFO, note="Di depan rumah nomor berapa?")
    work(bot_settings)  # the worker delivers the notifications through the Bot API
    question = telegram.wait_for_text("Di depan rumah nomor berapa?")
    assert "Menunggu keterangan pelapor" in question

    before = len(telegram.texts())
    telegram.push(reply_to(telegram, question, "Depan rumah nomor 12, dekat masjid"))
    telegram.wait_for_text("sudah diteruskan ke OPD", after=before)
    [complaint] = complaints(bot_settings)
    assert complaint.status == ComplaintStatus.ROUTED
    assert complaint.response_due_at is not None


def test_the_reporter_rates_a_resolved_complaint_in_the_chat(bot, telegram, bot_settings):
    fill_to_summary(telegram)
    say(telegram, press(last_button_data(telegram, "Kirim sekarang?")), "Kode pelacakan")
    code = complaints(bot_settings)[0].tracking_code
    _act(bot_settings, code, workflow.Action.VERIFY, agency="DISHUB")
    _act(bot_settings, code, workflow.Action.RESPOND, note="Petugas sudah ke lokasi")
    _act(bot_settings, code, workflow.Action.RESOLVE, note="Lampu sudah diganti")
    work(bot_settings)
    telegram.wait_for_text("Lampu sudah diganti")
    shown = f"{code[:5]}-{code[5:]}"
    say(telegram, press(f"rate:{shown}:5"), "Terima kasih atas penilaian Anda (5/5)")
    [complaint] = complaints(bot_settings)
    assert complaint.status == ComplaintStatus.CLOSED
    with Session(db.engine_for(bot_settings.database_url)) as session:
        assert session.exec(select(Feedback)).one().rating == 5


def test_someone_else_cannot_rate_my_complaint(bot, telegram, bot_settings):
    fill_to_summary(telegram)
    say(telegram, press(last_button_data(telegram, "Kirim sekarang?")), "Kode pelacakan")
    code = complaints(bot_settings)[0].tracking_code
    for action, change in (
        (workflow.Action.VERIFY, {"agency": "DISHUB"}),
        (workflow.Action.RESPOND, {"note": "Ditangani"}),
        (workflow.Action.RESOLVE, {"note": "Selesai"}),
    ):
        _act(bot_settings, code, action, **change)
    stranger = press(f"rate:{code[:5]}-{code[5:]}:1")
    stranger["callback_query"]["from"] = {"id": 999, "is_bot": False, "first_name": "X"}
    say(telegram, stranger, "bukan milik akun Telegram Anda")
    assert complaints(bot_settings)[0].status == ComplaintStatus.RESOLVED


def test_the_reporter_reopens_in_the_chat_with_a_reason(bot, telegram, bot_settings):
    fill_to_summary(telegram)
    say(telegram, press(last_button_data(telegram, "Kirim sekarang?")), "Kode pelacakan")
    code = complaints(bot_settings)[0].tracking_code
    _act(bot_settings, code, workflow.Action.VERIFY, agency="DISHUB")
    _act(bot_settings, code, workflow.Action.RESPOND, note="Petugas sudah ke lokasi")
    _act(bot_settings, code, workflow.Action.RESOLVE, note="Lampu sudah diganti")
    shown = f"{code[:5]}-{code[5:]}"
    question = say(telegram, press(f"reopen:{shown}"), "belum selesai?")
    assert json.loads(telegram.sent()[-1]["reply_markup"])["force_reply"] is True
    stranger = {"id": 999, "is_bot": False, "first_name": "X"}
    from_stranger = reply_to(telegram, question, "Lampunya mati lagi", sender=stranger)
    say(telegram, from_stranger, "bukan milik akun Telegram Anda")
    say(telegram, reply_to(telegram, question, "mati"), "minimal 10 karakter")
    assert complaints(bot_settings)[0].status == ComplaintStatus.RESOLVED
    say(telegram, reply_to(telegram, question, "Lampunya mati lagi sejak semalam"), "dibuka")
    [complaint] = complaints(bot_settings)
    assert complaint.status == ComplaintStatus.REOPENED


def test_a_restart_in_the_middle_of_a_conversation_carries_on(bot_settings, telegram):
    first = RunningBot(bot_settings).start()
    say(telegram, text("/lapor"), "Tulis isi pengaduan")
    say(telegram, text("Air PDAM keruh di Jalan Rajawali sejak tiga hari"), "lokasinya")
    first.stop()

    second = RunningBot(bot_settings).start()
    try:
        say(telegram, text("/lewati"), "Kirim foto")
        say(telegram, text("/lewati"), "identitas")
        say(telegram, press("anon:0"), "publik")
        say(telegram, press("secret:0"), "Kirim sekarang?")
        say(telegram, press(last_button_data(telegram, "Kirim sekarang?")), "Kode pelacakan")
    finally:
        second.stop()
    [complaint] = complaints(bot_settings)
    assert complaint.text == "Air PDAM keruh di Jalan Rajawali sejak tiga hari"


def test_a_running_bot_forgets_a_reporter_whose_identity_was_erased(bot, telegram, bot_settings):
    fill_to_summary(telegram)
    send = last_button_data(telegram, "Kirim sekarang?")
    say(telegram, press(send), "Kode pelacakan")
    [complaint] = complaints(bot_settings)
    privacy.forget(bot_settings, complaint.tracking_code, now=datetime.now(UTC))
    # The bot still held the code it filed for this user; it drops it when they next write.
    say(telegram, press(send), "Draf pengaduan ini sudah tidak berlaku")
    client = broker.connect(bot_settings)
    assert not client.hexists(redis_keys.bot_user_data(), str(USER))
    assert not client.exists(redis_keys.bot_forgotten(USER))  # used once, then gone


# --- bad input ------------------------------------------------------------------------


def test_bad_input_gets_a_clear_reply(bot, telegram, bot_settings):
    say(telegram, text("/entahlah"), "Perintah tidak dikenal")
    say(telegram, text("halo"), "/lapor")
    say(telegram, text("/lapor"), "Tulis isi pengaduan")
    say(telegram, text("rusak"), "lokasinya")  # five characters is enough
    say(telegram, text("/lewati"), "Kirim foto")
    zip_file = {
        "file_id": "z",
        "file_unique_id": "z",
        "file_name": "a.zip",
        "mime_type": "application/zip",
        "file_size": 100,
    }
    say(telegram, message(document=zip_file), "tidak dapat diterima")
    huge = {
        "file_id": "h",
        "file_unique_id": "h",
        "file_name": "b.pdf",
        "mime_type": "application/pdf",
        "file_size": 50 * 1024 * 1024,
    }
    say(telegram, message(document=huge), "terlalu besar")
    say(telegram, text("apa ini"), "Kirim foto atau PDF")
    say(telegram, text("/selesai"), "identitas")
    say(telegram, text("ya"), "Pilih salah satu tombol")
    say(telegram, text("/batal"), "dibatalkan")
    assert complaints(bot_settings) == []


def test_text_too_short_or_too_long_is_asked_again(bot, telegram):
    say(telegram, text("/lapor"), "Tulis isi pengaduan")
    say(telegram, text("abc"), "terlalu pendek")
    say(telegram, text("x" * 5001), "terlalu panjang")


def test_a_flood_of_messages_gets_one_friendly_reply(bot, telegram, bot_settings):
    store = redis.Redis.from_url(bot_settings.redis_url)
    key = f"lapor:bot:flood:{USER}"
    for _ in range(FLOOD_LIMIT + 5):
        telegram.push(text("/status"))
    # The bot takes updates one at a time: once the last one is counted, every earlier one
    # has been answered or dropped, and the last one is dropped without a word.
    telegram.wait_for(lambda: store.get(key) == str(FLOOD_LIMIT + 5).encode())
    telegram.wait_for(lambda: any("Terlalu banyak pesan" in t for t in telegram.texts()))
    texts = telegram.texts()
    assert sum("Terlalu banyak pesan" in t for t in texts) == 1
    assert len(texts) == FLOOD_LIMIT + 1


def test_the_flood_window_runs_from_the_first_message_and_then_closes(bot, telegram, bot_settings):
    store = redis.Redis.from_url(bot_settings.redis_url)
    for _ in range(FLOOD_LIMIT + 1):
        telegram.push(text("/status"))
    telegram.wait_for(lambda: any("Terlalu banyak pesan" in t for t in telegram.texts()))
    key = f"lapor:bot:flood:{USER}"
    # The window is the user's own, not the clock's minute: one key, expiring within it.
    assert 0 < store.ttl(key) <= FLOOD_WINDOW_SECONDS
    store.pexpire(key, 1)  # the minute has passed
    time.sleep(0.05)
    telegram.push(text("/status"))
    telegram.wait_for(lambda: len(telegram.texts()) == FLOOD_LIMIT + 2)
    assert "Terlalu banyak pesan" not in telegram.texts()[-1]


def _act(settings, code: str, action, agency: str | None = None, note: str | None = None):
    act_on(
        settings,
        code,
        action,
        actor=workflow.Actor.staff(None),
        now=datetime.now(UTC),
        agency_code=agency,
        note=note,
    )
