"""English everywhere: every page walked with ?lang=en, and every email a reporter who filed
in English receives, show none of the catalog's Indonesian texts, nor Indonesian month or day
names (the texts come from templates, from Python's labels, flashes, field errors and dates)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import tracking
from lapor.domain.intake import Submission
from lapor.domain.notices import reworded
from lapor.domain.timefmt import human, long_date, utcnow
from lapor.domain.tracking import display
from lapor.infra import db
from lapor.infra.region import gazetteer_for, registry_for, routing_document_for
from lapor.infra.translations import translate
from lapor.services import accounts
from lapor.services.filing import file_complaint
from models import Complaint, Notification, Role

from support import STAFF_PASSWORD, export_settings, route_to, work

CATALOG = Path(__file__).resolve().parent.parent / "lapor/translations/en/LC_MESSAGES/messages.po"

# Every page of the site, walked in English as (who, path). `who` is a browser: a visitor, the
# reporter who filed {mine} in English (their session holds its key), or a signed-in staff
# member. The placeholders name the seeded complaints and rows. A new page is added here, one
# line each (and its state, if it needs one, in `seed`).
PAGES = [
    ("visitor", "/"),
    ("visitor", "/lapor"),
    ("visitor", "/lacak"),
    ("visitor", "/lacak?kode=salah"),
    ("visitor", "/lacak/{mine}"),
    ("visitor", "/lacak/{merged}"),
    ("visitor", "/lacak/kunci"),
    ("visitor", "/lacak/saya"),
    ("visitor", "/lacak/saya?kunci=salah"),
    ("visitor", "/lacak/saya/daftar"),
    ("visitor", "/pengaduan"),
    ("visitor", "/pengaduan?status=forwarded"),
    ("visitor", "/pengaduan?status=rejected&regency=Kota+Palangka+Raya"),
    ("visitor", "/pengaduan?agency=DISHUB&page=2"),
    ("visitor", "/masuk"),
    ("visitor", "/kinerja"),
    ("visitor", "/pengaduan/peta"),
    ("visitor", "/lacak/{mine}/tanda-terima"),
    ("visitor", "/lacak/ABCDE-FGHJK"),
    ("visitor", "/tidak-ada"),
    ("reporter", "/lacak/{mine}"),
    ("reporter", "/lacak/{mine}?baru=1"),
    ("reporter", "/lacak/{waiting}"),
    ("reporter", "/lacak/{mine}/tanda-terima"),
    ("officer", "/petugas/"),
    ("officer", "/petugas/?status=open&sla=overdue"),
    ("officer", "/petugas/pengaduan/{mine}"),
    ("officer", "/petugas/pengaduan/{waiting}"),
    ("officer", "/petugas/pemberitahuan"),
    ("officer", "/petugas/dasbor"),
    ("officer", "/petugas/templat"),
    ("officer", "/akun/sandi"),
    ("verifier", "/petugas/?triage=1"),
    ("verifier", "/petugas/pengaduan/{triage}"),
    ("verifier", "/petugas/pengaduan/{merged}"),
    ("verifier", "/petugas/pemberitahuan"),
    ("supervisor", "/petugas/dasbor"),
    ("supervisor", "/petugas/dasbor/opd/DISHUB"),
    ("supervisor", "/petugas/?q=lampu"),
    ("supervisor", "/petugas/pengaduan/{forwarded}"),
    ("admin", "/petugas/"),
    ("admin", "/petugas/templat"),
    ("admin", "/admin/opd"),
    ("admin", "/admin/opd/baru"),
    ("admin", "/admin/opd/DISHUB"),
    ("admin", "/admin/opd/DISHUB/nonaktifkan"),
    ("admin", "/admin/opd/DISHUB/hapus"),
    ("admin", "/admin/tenggat"),
    ("admin", "/admin/libur"),
    ("admin", "/admin/peta-rute"),
    ("admin", "/admin/pengguna"),
    ("admin", "/admin/pengguna/{officer_id}"),
    ("admin", "/admin/pengguna/{officer_id}/nonaktifkan"),
    ("admin", "/admin/riwayat"),
    ("admin", "/admin/antrean"),
    ("admin", "/akun/sandi"),
]

STAFF = {
    "officer": (Role.OFFICER, "DISHUB"),
    "verifier": (Role.VERIFIER, None),
    "supervisor": (Role.SUPERVISOR, None),
    "admin": (Role.ADMIN, None),
}

MONTHS = "Januari Februari Maret Mei Juni Juli Agustus Oktober Desember Agu Okt Des".split()
DAYS = "Senin Selasa Rabu Kamis Jumat Sabtu Minggu".split()
# Catalog texts this short are not words one could tell apart from English (or codes).
SHORTEST = 4


@dataclass(frozen=True)
class Indonesian:
    """A catalog text to look for: its longest fixed part as a plain substring first (fast,
    and most pages have none), then the whole text, its placeholders matching anything."""

    anchor: str
    pattern: re.Pattern

    @classmethod
    def of(cls, text: str) -> Indonesian:
        parts = re.split(r"%\(\w+\)[sd]|%[sd]|\{\w+\}", " ".join(text.split()))
        body = r".{1,120}?".join(re.escape(part) for part in parts)
        start = r"(?<!\w)" if re.match(r"\w", text) else ""
        end = r"(?!\w)" if re.search(r"\w$", text) else ""
        return cls(max(parts, key=len), re.compile(start + body + end))

    def search(self, text: str) -> re.Match | None:
        return self.pattern.search(text) if self.anchor in text else None


def indonesian_texts() -> dict[str, Indonesian]:
    """Every catalog text whose English differs, as a pattern (placeholders match anything),
    except the short ones and those that are part of the region's own names (agencies,
    places), which stay as they are in English too; plus month and day names."""
    names = _region_names()
    found = {}
    with CATALOG.open("rb") as handle:
        for message in read_po(handle):
            text = message.id if isinstance(message.id, str) else (message.id or ("",))[0]
            english = message.string if isinstance(message.string, str) else message.string[0]
            if not text or not english or english == text or len(text) < SHORTEST:
                continue
            wanted = Indonesian.of(text)
            if not wanted.search(names):
                found[text] = wanted
    for word in MONTHS + DAYS:
        found.setdefault(word, Indonesian.of(word))
    return found


def _region_names() -> str:
    """The names the region's data gives, which no page translates: agencies, places, the
    classifier's labels, the national holidays (from the `holidays` package)."""
    registry = registry_for("kalteng")
    names = [a.name for a in registry.agencies] + [a.short_name for a in registry.agencies]
    for regency in gazetteer_for("kalteng").all_regencies():
        names += [regency.name, *regency.districts.values()]
    names += routing_document_for("kalteng")["labels"]
    year = utcnow().year
    national = holidays.country_holidays("ID", years=range(year - 1, year + 2), language="id")
    names += national.values()
    return " | ".join(names)


class Visible(HTMLParser):
    """The text a person reads on a page: its text, and the attributes shown or spoken."""

    SHOWN = ("placeholder", "title", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        self.parts += [values[a] or "" for a in self.SHOWN if a in values]
        button = tag == "button" or values.get("type") in ("submit", "button", "reset")
        if button and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def leaks(text: str, patterns: dict[str, Indonesian]) -> list[str]:
    """The catalog's Indonesian texts found in `text`, each with where (for the report)."""
    found = []
    for source, wanted in patterns.items():
        if match := wanted.search(text):
            where = text[max(0, match.start() - 30) : match.end() + 30]
            found.append(f"{source!r} in '…{where}…'")
    return found


def test_the_checker_finds_indonesian_and_passes_english():
    patterns = indonesian_texts()
    assert "Diteruskan ke OPD" in patterns and "Selasa" in patterns
    assert "OPD" not in patterns  # part of the agencies' names: stays as it is
    page = '<p title="Kirim pengaduan">Status: <b>Diteruskan ke OPD</b> on 9 Desember</p>'
    found = " ".join(leaks(visible_text(page), patterns))
    assert all(repr(t) in found for t in ("Kirim pengaduan", "Diteruskan ke OPD", "Desember"))
    english = "<p>Complaint ABCDE-FGHJK: Forwarded to the agency on Tuesday, 9 December 2026</p>"
    assert leaks(visible_text(english), patterns) == []


def test_dates_and_staff_notice_titles_follow_the_language():
    wib = ZoneInfo("Asia/Jakarta")
    moment = datetime(2026, 12, 9, 3, 5, tzinfo=UTC)
    assert human(moment, wib) == "9 Des 2026 10.05 WIB"  # as before: tests and people rely on it
    assert human(moment, wib, "en") == "9 Dec 2026 10:05 WIB"
    assert long_date(moment, wib) == "Rabu, 9 Desember 2026"
    assert long_date(moment, wib, "en", time=True) == "Wednesday, 9 December 2026, 10:05 WIB"
    stored = "Eskalasi tingkat 2: pengaduan melewati batas waktu"
    english = reworded(stored, lambda text: translate(text, "en"))
    assert english == "Escalation level 2: complaint past its deadline"
    assert reworded("Judul lain", lambda text: translate(text, "en")) == "Judul lain"


def test_every_text_marked_in_python_has_an_english_translation():
    """What the templates' test does for templates: the texts marked in Python (N_, gettext,
    ngettext: the labels, the reporter's messages, flashes) are in the catalog, translated."""
    root = CATALOG.parents[3].parent
    with CATALOG.open("rb") as handle:
        translated = {m.id for m in read_po(handle) if m.id and m.string}
    missing = {
        f"{folder}/{name}:{line}": text
        for folder in ("lapor", "workers")
        for name, line, text, _, _ in extract_from_dir(root / folder, [("**.py", "python")])
        if text not in translated
    }
    assert missing == {}, "add them to the catalog (see README, Languages)"


# --- the world: staff of every role, complaints in every state, a reporter in English --------


@pytest.fixture
def mailed(settings, smtp, monkeypatch):
    """Settings with email delivery to the local SMTP server (in the jobs' environment too)."""
    overrides = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none"}
    wired = settings.with_overrides(overrides)
    export_settings(monkeypatch, wired)
    return wired


def english_browser(app):
    client = app.test_client()
    assert client.get("/?lang=en").status_code == 200
    return client


def sign_in(app, username: str):
    client = english_browser(app)
    response = client.post("/masuk", data={"username": username, "password": STAFF_PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def seed(app, settings) -> tuple[dict, dict, list[str]]:
    """Staff, and complaints in every state, made through the pages (in English) where a
    person would; returns the browsers, the placeholders of PAGES, and the pages that the
    actions themselves showed (flashes, field errors)."""
    ids = _staff(settings)
    browsers = {"visitor": english_browser(app), "reporter": english_browser(app)}
    browsers |= {name: sign_in(app, name) for name in STAFF}
    shown: list[str] = []
    places = {**_filed(settings, browsers, shown), "officer_id": ids["officer"]}
    for code in (places["mine"], places["waiting"], places["merged"]):
        route_to(settings, code, "DISHUB", utcnow())
    _acted(browsers, places, shown)
    return browsers, places, shown


def _staff(settings) -> dict[str, int]:
    """A staff member of each role, by name: their ids."""
    with Session(db.engine_for(settings.database_url)) as session:
        users = {
            name: accounts.create_user(
                session,
                username=name,
                password=STAFF_PASSWORD,
                role=role,
                agency_code=agency,
                full_name=f"{name.title()} Example",
                now=utcnow(),
            )
            for name, (role, agency) in STAFF.items()
        }
        session.commit()
        return {name: user.id for name, user in users.items()}


def _filed(settings, browsers: dict, shown: list[str]) -> dict[str, str]:
    """The complaints: three on the English form (one refused first), one through the API in
    English, one in Indonesian (the Telegram bot's and every older complaint's language)."""
    reporter = browsers["reporter"]

    def on_the_form(**fields) -> str:
        filed = reporter.post("/lapor", data={"email": "ann@example.org", **fields})
        assert filed.status_code == 303, filed.get_data(as_text=True)
        return filed.headers["Location"].split("/lacak/")[1].split("?")[0]

    refused = reporter.post("/lapor", data={"text": "abc", "email": "x", "lat": "north"})
    assert refused.status_code == 422
    shown.append(refused.get_data(as_text=True))
    by_api = browsers["visitor"].post(
        "/api/v1/complaints",
        json={
            "text": "The traffic light near the market is dark every evening.",
            "contact": {"email": "bob@example.org"},
        },
        headers={"Accept-Language": "en"},
    )
    assert by_api.status_code == 201, by_api.get_data(as_text=True)
    indonesian = Submission(text="Pelayanan di kantor kecamatan lambat", email="siti@example.id")
    return {
        "mine": on_the_form(
            title="Traffic light broken",
            text="The traffic light at the Yos Sudarso junction has been dark since Monday.",
            regency="Kota Palangka Raya",
            district="Jekan Raya",
            name="Ann Walker",
        ),
        "waiting": on_the_form(text="The street lamp in front of house 12 flickers all night."),
        "forwarded": on_the_form(text="The national road bridge needs repair before the rains."),
        "merged": tracking.normalize(by_api.get_json()["tracking_code"]),
        "triage": file_complaint(settings, indonesian, now=utcnow()).complaint.tracking_code,
    }


def _acted(browsers: dict, places: dict, shown: list[str]) -> None:
    """Every staff and reporter action that tells the reporter, through the pages; each page
    the action leads to (its flash, or its refusal) is kept in `shown`."""
    reporter, officer, verifier = browsers["reporter"], browsers["officer"], browsers["verifier"]
    mine, waiting = places["mine"], places["waiting"]

    def staff_action(browser, code, **form):
        done = browser.post(f"/petugas/pengaduan/{code}/tindakan", data=form)
        assert done.status_code == 303, done.get_data(as_text=True)
        shown.append(browser.get(done.headers["Location"]).get_data(as_text=True))

    def reporter_action(path, **form):
        done = reporter.post(f"/lacak/{mine}/{path}", data=form)
        assert done.status_code in (303, 422), done.get_data(as_text=True)
        after = reporter.get(done.headers["Location"]) if done.status_code == 303 else done
        shown.append(after.get_data(as_text=True))

    merge = {"reason": "duplicate", "duplicate_of": mine, "confirm": "1"}
    staff_action(verifier, places["merged"], action="reject", **merge)
    body = {"forwarded_to": "Balai Jalan Nasional", "note": "A national road.", "confirm": "1"}
    staff_action(verifier, places["forwarded"], action="forward", **body)
    staff_action(officer, mine, action="respond", note="A technician will check it tomorrow.")
    staff_action(officer, mine, action="request_info", note="Which side of the junction?")
    reporter_action("keterangan", info="The north side, facing the bank.")
    staff_action(officer, mine, action="resolve", note="The lamp was replaced.")
    reporter_action("buka-kembali", reason="It went dark again last night.")
    staff_action(officer, mine, action="resolve", note="The cable was replaced as well.")
    reporter_action("nilai", rating="9")  # refused: a field error
    staff_action(officer, waiting, action="request_info", note="Which house number exactly?")
    refused = browsers["visitor"].post("/lacak/kunci", data={"kode": mine, "email": "x"})
    shown.append(refused.get_data(as_text=True))
    admin = browsers["admin"]
    day = {"date": f"{utcnow().year}-12-30", "reason": "Founding day of the province"}
    shown.append(admin.get(admin.post("/admin/libur", data=day).headers["Location"]).text)


def test_every_page_and_every_email_to_a_reporter_read_in_english(mailed, smtp):
    app = create_app(mailed)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    browsers, places, shown = seed(app, mailed)
    patterns = indonesian_texts()
    found = _on_the_pages(browsers, places, patterns)
    found |= {
        f"after action {i}": leaks(visible_text(page), patterns) for i, page in enumerate(shown)
    }
    # Last: a new private link (it retires the key the reporter's browser holds).
    asked = {"kode": places["mine"], "email": "ann@example.org"}
    assert browsers["visitor"].post("/lacak/kunci", data=asked).status_code == 200
    work(mailed)
    english = [m for m in smtp.messages if m["X-Rcpt-To"].endswith("@example.org")]
    for message in english:
        text = " ".join(f"{message['Subject']} {message.get_content()}".split())
        found[f"email {message['Subject']}"] = leaks(text, patterns)
    found = {where: wrong for where, wrong in found.items() if wrong}
    assert found == {}, "Indonesian left:\n" + "\n".join(f"{k}: {v}" for k, v in found.items())
    with Session(db.engine_for(mailed.database_url)) as session:
        rows = session.exec(select(Notification).where(Notification.address.like("%.org")))
        kinds = {n.kind for n in rows}
    assert kinds >= {"submit", "route", "respond", "request_info", "provide_info", "resolve"}
    assert kinds >= {"reopen", "reject", "forward", "new_key", "original_respond"}


def _on_the_pages(browsers: dict, places: dict, patterns: dict) -> dict[str, list[str]]:
    """Every page of PAGES in English: what Indonesian each shows."""
    found = {}
    for who, path in PAGES:
        url = path.format(**places)
        if who == "reporter":
            assert b'class="private-link"' in browsers[who].get(url).data, url  # own view
        url += ("&" if "?" in url else "?") + "lang=en"
        response = browsers[who].get(url)
        assert response.status_code in (200, 400, 403, 404), (who, url, response.status_code)
        assert '<html lang="en">' in response.text, (who, url)
        found[f"{who} {url}"] = leaks(visible_text(response.text), patterns)
    return found


def test_the_receipt_email_says_what_the_receipt_page_says(mailed, smtp):
    """The code, the private link, what happens next and by when (the day in words), in the
    language the complaint was filed in."""
    app = create_app(mailed)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    english, indonesian = english_browser(app), app.test_client()
    for browser, email in ((english, "ann@example.org"), (indonesian, "siti@example.id")):
        text = "Lampu penerangan jalan di depan rumah nomor 12 mati"
        assert browser.post("/lapor", data={"text": text, "email": email}).status_code == 303
    work(mailed)
    with Session(db.engine_for(mailed.database_url)) as session:
        due = {c.language: c.verification_due_at for c in session.exec(select(Complaint))}
        codes = {c.language: display(c.tracking_code) for c in session.exec(select(Complaint))}
    mail = {m["X-Rcpt-To"]: m.get_content().replace("\r\n", "\n") for m in smtp.messages}
    ann, siti = mail["ann@example.org"], mail["siti@example.id"]
    assert ann.startswith(f"Complaint {codes['en']}: Received\n")
    assert f"Its tracking code:\n{codes['en']}\n" in ann and f"/lacak/{codes['en']}?kunci=" in ann
    assert f"must verify the complaint by {long_date(due['en'], mailed.tz, 'en')}." in ann
    assert "Your private link to see, answer, rate or reopen this complaint" in ann
    assert f"Kode pelacakannya:\n{codes['id']}\n" in siti and "?kunci=" in siti
    assert f"paling lambat {long_date(due['id'], mailed.tz, 'id')}." in siti
    assert "Tautan pribadi Anda untuk melihat" in siti
