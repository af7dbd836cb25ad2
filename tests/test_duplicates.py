"""Duplicates follow their original: the duplicate's reporter is told of the merge, hears the
original's answers and its end (email, Telegram), and sees them on the tracking page; and the
staff API's list of similar complaints, role-scoped like every staff read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import tracking
from lapor.domain.intake import Submission
from lapor.infra import db
from lapor.infra.settings import Settings
from lapor.services import accounts
from lapor.services import reporter as reporters
from lapor.services import sweep as sla
from lapor.services.filing import file_complaint
from models import Channel, Complaint, Notification, Role

from fakes import FakeSmtp, FakeTelegram
from support import route_to, with_channels, work

NOW = datetime.now(UTC).replace(microsecond=0)
PASSWORD = "kata-sandi-panjang"
ROAD = "Jalan berlubang besar di depan pasar Kahayan, sudah dua bulan belum diperbaiki"
ANSWER = "Tim PUPR sudah menambal lubang di depan pasar Kahayan pada hari Selasa."
DONE = "Perbaikan selesai: aspal baru sepanjang 40 meter di depan pasar Kahayan."
ORIGINAL_REPORTER = {"name": "Siti Rahmawati", "email": "siti@example.id"}
CHAT_DUPLICATE = 777002
USERS = {
    "pupr": (Role.OFFICER, "PUPR"),
    "dishub": (Role.OFFICER, "DISHUB"),
    "verif": (Role.VERIFIER, None),
}


@pytest.fixture
def wired(settings: Settings, smtp: FakeSmtp, telegram: FakeTelegram, monkeypatch) -> Settings:
    """Email and Telegram on, in the settings and in the environment the jobs read."""
    return with_channels(settings, telegram, smtp, monkeypatch)


@pytest.fixture
def tokens(settings: Settings) -> dict[str, str]:
    """A staff API token for each of USERS."""
    found = {}
    with Session(db.engine_for(settings.database_url)) as session:
        for name, (role, agency) in USERS.items():
            accounts.create_user(
                session, username=name, password=PASSWORD, role=role, agency_code=agency, now=NOW
            )
            found[name] = accounts.create_token(session, name, now=NOW)
        session.commit()
    return found


def file(settings: Settings, text: str = ROAD, agency: str | None = None, **fields):
    """File a complaint (routed to `agency` when given): its code and its reporter key."""
    result = file_complaint(settings, Submission(text=text, **fields), now=NOW)
    if agency:
        route_to(settings, result.complaint.tracking_code, agency, NOW)
    return result.complaint.tracking_code, result.reporter_key


def staff_api(client, token: str, method: str, path: str, **kw):
    headers = {"Authorization": f"Bearer {token}"}
    return client.open(f"/api/v1/staff{path}", method=method, headers=headers, **kw)


def act(client, token: str, code: str, **body):
    response = staff_api(client, token, "POST", f"/complaints/{code}/actions", json=body)
    assert response.status_code == 200, response.get_json()


def merge(client, tokens, duplicate: str, original: str) -> None:
    """The verifier archives `duplicate` as a duplicate of `original`."""
    code = tracking.display(original)
    act(client, tokens["verif"], duplicate, action="reject", reason="duplicate", duplicate_of=code)


def rows_for(settings: Settings, code: str) -> list[Notification]:
    """The notification rows written on one complaint, oldest first."""
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        query = select(Notification).where(Notification.complaint_id == complaint.id)
        return list(session.exec(query.order_by(Notification.id)).all())


@pytest.fixture
def client(wired, tokens):
    app = create_app(wired)
    app.config.update(TESTING=True)
    return app.test_client()


# --- the duplicate's reporter is told, and follows the original -------------------------


def test_the_duplicates_reporter_is_told_which_complaint_theirs_was_merged_with(
    wired, client, tokens, smtp
):
    original, _ = file(wired, agency="PUPR", **ORIGINAL_REPORTER)
    duplicate, _ = file(wired, ROAD + " mohon segera", email="budi@example.id")
    merge(client, tokens, duplicate, original)

    [told] = [n for n in rows_for(wired, duplicate) if n.kind == "reject"]
    assert told.channel == "email" and told.address == "budi@example.id"
    assert f"digabung dengan pengaduan {tracking.display(original)}" in told.body
    assert "Anda akan menerima jawaban" in told.body
    work(wired)
    [email] = [m for m in smtp.messages if "digabung" in m.get_content()]
    assert email["X-Rcpt-To"] == "budi@example.id"
    # The private link in it is the duplicate's own, whose page shows the original.
    assert f"/lacak/{tracking.display(duplicate)}?kunci=" in email.get_content()


def test_the_duplicates_reporter_hears_the_originals_answer_resolution_and_close(
    wired, client, tokens, smtp
):
    original, original_key = file(wired, agency="PUPR", **ORIGINAL_REPORTER)
    duplicate, _ = file(wired, ROAD + " mohon segera", email="budi@example.id")
    merge(client, tokens, duplicate, original)
    act(client, tokens["pupr"], original, action="respond", note=ANSWER)
    act(client, tokens["pupr"], original, action="resolve", note=DONE)
    reporters.rate(wired, original, reporters.KeyProof(original_key), 5, None, now=NOW)

    followed = [n for n in rows_for(wired, duplicate) if n.kind.startswith("original_")]
    kinds = [n.kind for n in followed]
    assert kinds == ["original_respond", "original_resolve", "original_close"]
    respond, resolve, close = followed
    for row in followed:
        assert (row.channel, row.address) == ("email", "budi@example.id")
        assert tracking.display(original) in row.subject and tracking.display(duplicate) in row.body
        # The original's reporter is never named to the duplicate's.
        assert "Siti" not in row.body and "siti@example.id" not in row.body + row.subject
    assert ANSWER in respond.body and DONE in resolve.body and "Ditutup" in close.subject
    # The original's reporter hears of their own complaint once per change, as before.
    own = [n.kind for n in rows_for(wired, original) if n.address == "siti@example.id"]
    assert own == ["submit", "route", "respond", "resolve", "close"]

    work(wired)
    to_budi = [m for m in smtp.messages if m["X-Rcpt-To"] == "budi@example.id"]
    assert any(ANSWER in m.get_content() for m in to_budi)
    assert any(DONE in m.get_content() for m in to_budi)
    # Their private links are to their own complaint, never to the original.
    original_link = f"/lacak/{tracking.display(original)}?kunci="
    assert all(original_link not in m.get_content() for m in to_budi)


def test_a_duplicate_from_telegram_hears_the_answer_in_its_chat_without_rating_buttons(
    wired, client, tokens, telegram
):
    original, _ = file(wired, agency="PUPR", **ORIGINAL_REPORTER)
    duplicate, _ = file(
        wired,
        ROAD + " tolong",
        channel=Channel.TELEGRAM,
        telegram_user_id=5552,
        telegram_chat_id=CHAT_DUPLICATE,
    )
    merge(client, tokens, duplicate, original)
    act(client, tokens["pupr"], original, action="respond", note=ANSWER)
    act(client, tokens["pupr"], original, action="resolve", note=DONE)
    work(wired)

    to_chat = [m for m in telegram.sent() if m["chat_id"] == str(CHAT_DUPLICATE)]
    texts = [m["text"] for m in to_chat]
    assert any(f"digabung dengan pengaduan {tracking.display(original)}" in t for t in texts)
    assert any(ANSWER in t for t in texts) and any(DONE in t for t in texts)
    # Their own complaint is archived: nothing to rate, so no buttons for the resolution.
    assert all("reply_markup" not in m for m in to_chat)


def test_the_automatic_close_of_the_original_reaches_the_duplicate_in_the_sweep(
    wired, client, tokens
):
    original, _ = file(wired, agency="PUPR", **ORIGINAL_REPORTER)
    duplicate, _ = file(wired, ROAD + " mohon segera", email="budi@example.id")
    merge(client, tokens, duplicate, original)
    act(client, tokens["pupr"], original, action="respond", note=ANSWER)
    act(client, tokens["pupr"], original, action="resolve", note=DONE)
    with Session(db.engine_for(wired.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == original)).one()
        closes_at = complaint.auto_close_at
    result = sla.sweep(wired, closes_at + timedelta(minutes=1))
    assert result.actions["close"] == 1
    [close] = [n for n in rows_for(wired, duplicate) if n.kind == "original_close"]
    assert close.status == "pending" and close.address == "budi@example.id"
    # The closing note speaks of the original's reporter: it is not passed on.
    assert "pelapor tidak menanggapi" not in close.body


def test_a_confidential_originals_answers_do_not_reach_the_duplicate(wired, client, tokens):
    original, _ = file(wired, agency="PUPR", confidential=True, **ORIGINAL_REPORTER)
    duplicate, _ = file(wired, ROAD + " mohon segera", email="budi@example.id")
    merge(client, tokens, duplicate, original)
    act(client, tokens["pupr"], original, action="respond", note=ANSWER)

    [respond] = [n for n in rows_for(wired, duplicate) if n.kind == "original_respond"]
    assert tracking.display(original) in respond.body and ANSWER not in respond.body


# --- the duplicate's tracking view --------------------------------------------------------


def test_the_duplicates_page_and_api_show_the_original_and_its_answers(wired, client, tokens):
    original, _ = file(wired, agency="PUPR", **ORIGINAL_REPORTER)
    duplicate, _ = file(wired, ROAD + " mohon segera", email="budi@example.id")
    merge(client, tokens, duplicate, original)
    act(client, tokens["pupr"], original, action="respond", note=ANSWER)

    view = client.get(f"/api/v1/complaints/{duplicate}").get_json()
    assert view["status"] == "rejected"
    assert view["duplicate_of"] == {
        "tracking_code": original,
        "status": "in_progress",
        "status_label": "Ditindaklanjuti",
    }
    assert [a["text"] for a in view["original_answers"]] == [ANSWER]
    assert "Siti" not in str(view) and "siti@example.id" not in str(view)

    page = client.get(f"/lacak/{duplicate}").get_data(as_text=True)
    sentence = (
        f"Pengaduan ini digabung dengan pengaduan {tracking.display(original)} karena isinya "
        "sama; jawaban atas pengaduan itu berlaku juga untuk Anda."
    )
    assert sentence in page
    assert f'href="/lacak/{original}"' in page and ANSWER in page
    english = client.get(f"/lacak/{duplicate}?lang=en").get_data(as_text=True)
    assert f"merged with complaint {tracking.display(original)}" in english

    # A complaint that is not a duplicate says nothing of the kind.
    plain = client.get(f"/api/v1/complaints/{original}").get_json()
    assert plain["duplicate_of"] is None and plain["original_answers"] == []
    assert 'id="duplicate-of"' not in client.get(f"/lacak/{original}").get_data(as_text=True)


def test_a_confidential_original_shows_only_its_code_and_status(wired, client, tokens):
    original, _ = file(wired, agency="PUPR", confidential=True, **ORIGINAL_REPORTER)
    duplicate, _ = file(wired, ROAD + " mohon segera", email="budi@example.id")
    merge(client, tokens, duplicate, original)
    act(client, tokens["pupr"], original, action="respond", note=ANSWER)

    view = client.get(f"/api/v1/complaints/{duplicate}").get_json()
    assert view["duplicate_of"]["tracking_code"] == original
    assert view["duplicate_of"]["status"] == "in_progress"
    assert view["original_answers"] == []
    page = client.get(f"/lacak/{duplicate}").get_data(as_text=True)
    assert tracking.display(original) in page and ANSWER not in page


def test_a_confidential_duplicate_names_its_original_only_to_its_reporter(wired, client, tokens):
    original, _ = file(wired, agency="PUPR", **ORIGINAL_REPORTER)
    duplicate, key = file(wired, ROAD + " mohon", confidential=True, email="budi@example.id")
    merge(client, tokens, duplicate, original)

    public = client.get(f"/api/v1/complaints/{duplicate}").get_json()
    assert public["withheld"] and public["duplicate_of"] is None
    own = client.get(f"/api/v1/complaints/{duplicate}", headers={"X-Reporter-Key": key})
    assert own.get_json()["duplicate_of"]["tracking_code"] == original


# --- similar complaints for staff ---------------------------------------------------------


@pytest.fixture
def similar_world(wired):
    """Road complaints at PUPR (one the same text), one misrouted to DISHUB, one anonymous in
    triage, and an unrelated one."""
    return {
        "original": file(wired, agency="PUPR")[0],
        "twin": file(wired, ROAD, agency="PUPR")[0],
        "paraphrase": file(wired, ROAD + " mohon segera ditangani dinas", agency="PUPR")[0],
        "misrouted": file(
            wired, "jalan depan pasar kahayan berlubang besar, belum diperbaiki 2 bulan", "DISHUB"
        )[0],
        "triage": file(wired, ROAD + " tolong", anonymous=True, **ORIGINAL_REPORTER)[0],
        "unrelated": file(wired, "Mohon bantuan sembako untuk lansia di RT 03", "PUPR")[0],
    }


def similar(client, token: str, code: str, query: str = ""):
    return staff_api(client, token, "GET", f"/complaints/{tracking.display(code)}/similar{query}")


def test_similar_complaints_most_similar_first_with_their_details(client, tokens, similar_world):
    w = similar_world
    response = similar(client, tokens["verif"], w["original"], "?limit=20")
    assert response.status_code == 200
    found = response.get_json()["similar"]
    codes = [item["tracking_code"] for item in found]
    assert codes[0] == tracking.display(w["twin"])  # the same words: the most similar
    expected = {"twin", "paraphrase", "misrouted", "triage"}
    assert set(codes) == {tracking.display(w[name]) for name in expected}
    scores = [item["score"] for item in found]
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0
    first = found[0]
    assert set(first) == {
        "tracking_code", "score", "text_similarity", "distance_km", "title", "status",
        "status_label", "agency", "regency", "district", "received_at",
    }  # fmt: skip
    assert first["agency"] == "PUPR" and first["status"] == "routed"
    assert first["status_label"] == "Diteruskan ke OPD" and first["title"]
    assert first["distance_km"] is None and first["text_similarity"] == 1.0
    triage = next(i for i in found if i["tracking_code"] == tracking.display(w["triage"]))
    assert triage["agency"] is None
    # An anonymous reporter is nowhere in the answer.
    assert "Siti" not in response.get_data(as_text=True)
    assert "siti@example.id" not in response.get_data(as_text=True)


def test_similar_complaints_default_to_five_and_take_a_limit(client, tokens, similar_world):
    w = similar_world
    for extra in range(3):  # more twins than the default shows
        file(client.application.extensions["lapor.settings"], ROAD + f" ({extra})", "PUPR")
    assert len(similar(client, tokens["verif"], w["original"]).get_json()["similar"]) == 5
    [one] = similar(client, tokens["verif"], w["original"], "?limit=1").get_json()["similar"]
    assert one["tracking_code"] == tracking.display(w["twin"])


@pytest.mark.parametrize("limit", ["0", "21", "abc", "-1", "2.5", ""])
def test_a_bad_limit_is_a_400_that_says_why(client, tokens, similar_world, limit):
    response = similar(client, tokens["verif"], similar_world["original"], f"?limit={limit}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and "1 sampai 20" in error["message"]
    assert "limit" in error["fields"]


def test_similar_complaints_want_a_token(client, similar_world):
    code = tracking.display(similar_world["original"])
    assert client.get(f"/api/v1/staff/complaints/{code}/similar").status_code == 401
    bad = {"Authorization": "Bearer lpr_not-a-token"}
    assert client.get(f"/api/v1/staff/complaints/{code}/similar", headers=bad).status_code == 401


def test_an_officer_sees_only_their_own_opds_similar_complaints(client, tokens, similar_world):
    w = similar_world
    # Another OPD's complaint is "not found", as everywhere in the staff API.
    assert similar(client, tokens["dishub"], w["original"]).status_code == 404
    assert similar(client, tokens["dishub"], "ABCDEFGHJK").status_code == 404

    found = similar(client, tokens["pupr"], w["original"], "?limit=20").get_json()["similar"]
    assert {i["tracking_code"] for i in found} == {
        tracking.display(w["twin"]),
        tracking.display(w["paraphrase"]),
    }
    assert {i["agency"] for i in found} == {"PUPR"}
    # The DISHUB officer, on their own complaint, finds none of PUPR's or the triage queue's.
    theirs = similar(client, tokens["dishub"], w["misrouted"], "?limit=20")
    assert theirs.status_code == 200 and theirs.get_json()["similar"] == []
