"""Open311 integrators: their keys and limits, jurisdiction_id, media_url and media files."""

from __future__ import annotations

import hashlib
import io
from xml.etree import ElementTree

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.cli import main
from lapor.domain.timefmt import utcnow
from lapor.infra import db
from lapor.services import accounts
from models import Attachment, Complaint, ComplaintEvent, IntegratorKey, Role

from support import STAFF_PASSWORD, assert_no_metadata, jpeg_with_gps, signed_in

REQUESTS = "/open311/v2/requests"


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, list(args))


@pytest.fixture
def new_key(cli):
    def create(name: str, per_minute: int = 60) -> str:
        made = cli("open311", "key", "create", name, "--per-minute", str(per_minute))
        assert made.exit_code == 0, made.output
        return made.output.strip().splitlines()[-1]

    return create


def post(client, fmt: str = "json", *, data=None, **fields):
    form = {
        "service_code": "PUPR",
        "lat": "-2.21",
        "long": "113.91",
        "description": "Jembatan kayu di desa kami rusak dan berbahaya",
        **fields,
    }
    return client.post(f"{REQUESTS}.{fmt}", data={**form, **(data or {})})


def xml(response) -> ElementTree.Element:
    assert response.mimetype == "text/xml", response.get_data(as_text=True)
    return ElementTree.fromstring(response.get_data())


def filed(session, response) -> Complaint:
    assert response.status_code == 201, response.get_data(as_text=True)
    code = response.get_json()[0]["service_request_id"]
    session.expire_all()
    return session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()


def submit_event(session, complaint: Complaint) -> ComplaintEvent:
    return session.exec(
        select(ComplaintEvent).where(
            ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == "submit"
        )
    ).one()


def test_keys_are_created_listed_and_revoked_and_stored_hashed(cli, new_key, session):
    key = new_key("FixMyStreet-Palangka", per_minute=120)
    row = session.exec(select(IntegratorKey)).one()
    assert row.name == "fixmystreet-palangka" and row.per_minute == 120
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in row.key_hash
    again = cli("open311", "key", "create", "fixmystreet-palangka")
    assert again.exit_code != 0 and "sudah ada" in again.output
    assert cli("open311", "key", "create", "nama dengan spasi").exit_code != 0
    assert cli("open311", "key", "create", "x", "--per-minute", "0").exit_code != 0
    listing = cli("open311", "key", "list")
    assert listing.exit_code == 0
    [line] = [row for row in listing.output.splitlines() if row.startswith("fixmystreet")]
    assert line.split("\t")[1] == "120" and line.endswith("\t-\ttidak")
    assert cli("open311", "key", "revoke", "fixmystreet-palangka").exit_code == 0
    assert cli("open311", "key", "list").output.rstrip().endswith("\tya")
    assert cli("open311", "key", "revoke", "tidak-ada").exit_code != 0


def test_a_key_has_its_own_limit_instead_of_the_address(client, new_key, session):
    key = new_key("fms", per_minute=60)
    for n in range(12):
        assert post(client, api_key=key, email=f"w{n}@example.id").status_code == 201
    # Without a key the same address files at a citizen's rate: 10 a minute.
    answers = [post(client, email=f"a{n}@example.id").status_code for n in range(11)]
    assert answers == [201] * 10 + [429]
    # The key's own budget is still there, and runs out at its own limit.
    small = new_key("aplikasi-kecil", per_minute=2)
    answers = [post(client, "xml", api_key=small).status_code for _ in range(3)]
    assert answers == [201, 201, 429]
    row = session.exec(select(IntegratorKey).where(IntegratorKey.name == "fms")).one()
    assert row.last_used_at is not None


def test_unknown_or_revoked_keys_are_refused_in_the_format_asked(client, cli, new_key, session):
    key = new_key("fms")
    assert cli("open311", "key", "revoke", "fms").exit_code == 0
    for api_key in (key, "o311_bukan-kunci"):
        refused = post(client, "xml", api_key=api_key)
        assert refused.status_code == 403
        assert xml(refused).findtext("error/code") == "403"
        assert "api_key" in xml(refused).findtext("error/description")
        as_json = post(client, api_key=api_key)
        assert as_json.status_code == 403 and as_json.get_json()[0]["code"] == 403
    assert session.exec(select(Complaint)).first() is None
    # An empty api_key (FixMyStreet sends one when it has none) is no key.
    assert post(client, api_key="").status_code == 201


def test_the_keys_name_is_the_complaints_source(client, new_key, session):
    complaint = filed(session, post(client, api_key=new_key("fms")))
    assert submit_event(session, complaint).data["source"] == "fms"
    keyless = filed(session, post(client))
    assert "source" not in submit_event(session, keyless).data


def test_jurisdiction_id_must_be_the_regions(client, session):
    for ours in ("62", "kalteng", "KALTENG", "localhost", ""):
        assert post(client, jurisdiction_id=ours).status_code == 201, ours
    wrong = post(client, "xml", jurisdiction_id="bromley.gov.uk")
    assert wrong.status_code == 404
    assert "jurisdiction_id" in xml(wrong).findtext("error/description")
    assert client.get("/open311/v2/services.json?jurisdiction_id=99").status_code == 404
    assert client.get("/open311/v2/requests.xml?jurisdiction_id=62").status_code == 200


def test_media_url_is_kept_as_a_link_for_staff_and_never_an_image(app, client, session):
    url = "https://fms.example.id/photo/123.0.full.jpeg?x=<b>"
    complaint = filed(session, post(client, media_url=url, account_id="77"))
    assert complaint.media_url == url
    with Session(db.engine_for(app.extensions["lapor.settings"].database_url)) as setup:
        accounts.create_user(
            setup, username="verif", password=STAFF_PASSWORD, role=Role.VERIFIER, now=utcnow()
        )
        setup.commit()
    page = signed_in(app, "verif").get(f"/petugas/pengaduan/{complaint.tracking_code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    escaped = "https://fms.example.id/photo/123.0.full.jpeg?x=&lt;b&gt;"
    assert f'<a href="{escaped}" target="_blank" rel="noopener noreferrer nofollow">' in html
    assert f'src="{escaped}"' not in html
    for bad in ("javascript:alert(1)", "ftp://fms.example.id/a.jpg", "https://" + "a" * 500):
        refused = post(client, "xml", media_url=bad)
        assert refused.status_code == 400
        assert xml(refused).findtext("error/description").startswith("media_url")


def test_a_media_file_is_stored_without_its_gps(client, session, store):
    form = {"media": (io.BytesIO(jpeg_with_gps()), "IMG_0001.jpg")}
    complaint = filed(session, post(client, data=form))
    [photo] = session.exec(select(Attachment).where(Attachment.complaint_id == complaint.id))
    assert photo.content_type == "image/jpeg"
    assert_no_metadata(store.open(photo.path).read_bytes())
    bad = post(client, "xml", data={"media": (io.BytesIO(b"bukan foto"), "x.exe")})
    assert bad.status_code == 400 and xml(bad).findtext("error/description").startswith("media")


def test_not_pinpointed_is_not_a_location_and_is_not_stored(client, session):
    alone = post(client, "xml", lat="", long="", address_id="#NOTPINPOINTED#")
    assert alone.status_code == 400
    assert "#NOTPINPOINTED#" in xml(alone).findtext("error/description")
    complaint = filed(session, post(client, address_id="#NOTPINPOINTED#"))
    assert complaint.address is None and complaint.lat == -2.21
    assert "#NOTPINPOINTED#" not in str(submit_event(session, complaint).data)
