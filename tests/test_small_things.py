"""Small things that tell: titles cut at a word, what an archived or forwarded complaint
became on the public list, error pages in the site's layout, a favicon."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import workflow
from lapor.domain.intake import Submission
from lapor.domain.text import excerpt
from lapor.infra import db
from lapor.services.filing import file_complaint
from models import Complaint

from support import act_on

NOW = datetime.now(UTC)
STAFF = workflow.Actor(workflow.ActorKind.STAFF)
REJECT = workflow.Action.REJECT
LONG = (
    "Jalan di depan rumah saya rusak parah dan berlubang, sudah tiga bulan tidak diperbaiki "
    "oleh dinas terkait"
)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Lampu mati", 80, "Lampu mati"),
        ("  Lampu \n mati  ", 80, "Lampu mati"),
        (LONG, 80, "Jalan di depan rumah saya rusak parah dan berlubang, sudah tiga bulan tidak…"),
        ("satu dua tiga", 9, "satu dua…"),
        ("satu dua, tiga", 11, "satu dua…"),
        ("a" * 30, 10, "a" * 9 + "…"),
        ("satu duaa", 9, "satu duaa"),
    ],
)
def test_an_excerpt_ends_at_a_word(text, limit, expected):
    assert excerpt(text, limit) == expected
    assert len(excerpt(text, limit)) <= limit


def _file(settings, text, **extra) -> str:
    return file_complaint(settings, Submission(text=text, **extra), now=NOW).complaint.tracking_code


def test_a_title_made_from_the_text_is_cut_at_a_word(client, settings):
    _file(settings, LONG)
    page = client.get("/pengaduan").get_data(as_text=True)
    assert "sudah tiga bulan tidak…" in page
    assert "tiga b<" not in page and "tiga b\n" not in page


def test_the_public_list_says_what_an_archived_or_forwarded_complaint_became(client, settings):
    forwarded = _file(settings, "Jalan nasional trans Kalimantan berlubang besar di km 12")
    act_on(
        settings, forwarded, workflow.Action.FORWARD, actor=STAFF, now=NOW,
        note="Balai Pelaksanaan Jalan Nasional Kalteng",
    )  # fmt: skip
    spam = _file(settings, "Beli pulsa murah hubungi nomor ini sekarang juga ya")
    act_on(settings, spam, REJECT, actor=STAFF, now=NOW, reason=workflow.RejectReason.SPAM)
    original = _file(settings, "Sampah menumpuk di pasar Kahayan sejak lima hari lalu")
    twin = _file(settings, "Sampah menumpuk di pasar Kahayan sejak lima hari yang lalu")
    act_on(
        settings, twin, REJECT, actor=STAFF, now=NOW,
        reason=workflow.RejectReason.DUPLICATE, duplicate_of=_complaint(settings, original),
    )  # fmt: skip
    page = client.get("/pengaduan").get_data(as_text=True)
    rows = {code: _row(page, code) for code in (forwarded, spam, original, twin)}
    assert "Diteruskan ke Balai Pelaksanaan Jalan Nasional Kalteng" in rows[forwarded]
    assert "Diarsipkan" in rows[spam] and "Spam" in rows[spam]
    assert "Digabung dengan" in rows[twin] and f"/lacak/{original}" in rows[twin]
    assert "sedang diverifikasi" in rows[original]
    for code in (forwarded, spam, twin):
        assert "sedang diverifikasi" not in rows[code]
    english = client.get("/pengaduan?lang=en").get_data(as_text=True)
    assert "Forwarded to Balai Pelaksanaan Jalan Nasional Kalteng" in _row(english, forwarded)
    assert "Merged into" in _row(english, twin)
    api = client.get("/api/v1/complaints").get_json()
    outcomes = {item["tracking_code"]: item["outcome"] for item in api["items"]}
    assert outcomes[forwarded] == {
        "kind": "forwarded",
        "to": "Balai Pelaksanaan Jalan Nasional Kalteng",
    }
    assert outcomes[twin]["duplicate_of"] == original and outcomes[original] is None


def _complaint(settings, code):
    with Session(db.engine_for(settings.database_url), expire_on_commit=False) as session:
        return session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()


def _row(page: str, code: str) -> str:
    """The public list's table row of one complaint."""
    match = re.search(rf"<tr><td><a href=\"/lacak/{code}\">.*?</tr>", page, re.S)
    assert match, code
    return match.group(0)


def test_an_unknown_code_gives_a_page_in_the_site_layout(client):
    response = client.get("/lacak/ABCDEFGHJK")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert 'name="viewport"' in page and "lapor.css" in page  # phone width, styled
    assert "Tidak ditemukan" in page and 'href="/lacak"' in page
    english = client.get("/lacak/ABCDEFGHJK?lang=en")
    assert english.status_code == 404 and "Not found" in english.get_data(as_text=True)
    assert client.get("/tidak-ada").status_code == 404


def test_an_error_of_ours_gives_a_500_page_in_the_site_layout(settings):
    app = create_app(settings)

    @app.get("/rusak")
    def broken():
        raise RuntimeError("a bug")

    response = app.test_client().get("/rusak")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Terjadi kesalahan" in page and "lapor.css" in page
    assert "a bug" not in page and "Traceback" not in page


def test_the_site_has_a_favicon(client):
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and b"<svg" in icon.data
    assert client.get("/favicon.ico").status_code in (301, 302, 308)


def test_the_json_api_gives_its_labels_in_the_clients_language(client, settings):
    code = _file(settings, "Lampu jalan di depan kantor kecamatan mati sejak kemarin malam")
    english = {"Accept-Language": "en"}
    one = client.get(f"/api/v1/complaints/{code}", headers=english).get_json()
    assert one["status"] == "received" and one["status_label"] == "Received"
    assert one["timeline"][0]["label"] == "Complaint received"
    listed = client.get("/api/v1/complaints", headers=english).get_json()["items"]
    assert {i["status_label"] for i in listed} == {"Received"}
    indonesian = client.get(f"/api/v1/complaints/{code}").get_json()
    assert indonesian["status_label"] == "Diterima"
    assert indonesian["timeline"][0]["label"] == "Pengaduan diterima"
