"""The longer fuzz, run by `make fuzz` (and CI after the slow suite), never by `make test`:
schemathesis drives the public and the staff API from their OpenAPI documents with hundreds of
generated requests per operation; hypothesis sends arbitrary form input to the reporter's
actions (with the private key, with a proven contact, with neither) and arbitrary query
strings and form bodies to the staff console. Nothing answers 500, and every 4xx says why."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import schemathesis
from api_drive import drive
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import Session, select
from test_staff_openapi import officer_world, realistic_cases
from werkzeug.datastructures import MultiDict

from lapor import create_app
from lapor.domain import workflow
from lapor.domain.my_complaints import Contact
from lapor.infra import db
from lapor.services import accounts
from lapor.services.my_complaints import token_for
from models import ActorKind, Complaint, Role

from support import STAFF_PASSWORD, act_on, export_settings

pytestmark = [pytest.mark.slow, pytest.mark.fuzz]

# Generated requests per operation of an OpenAPI document; LAPOR_FUZZ_EXAMPLES=50 for a try.
EXAMPLES = int(os.environ.get("LAPOR_FUZZ_EXAMPLES", "500"))
# Hypothesis examples of each form and list property below.
FORMS = int(os.environ.get("LAPOR_FUZZ_FORMS", "500"))
STAFF = workflow.Actor(ActorKind.STAFF)
EMAIL = "siti@example.id"
HYPOTHESIS = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "database": None,  # the shared machine's runs stay independent of each other
}

# A piece of a path: any text but what would end it or start its query.
path_part = st.text(
    st.characters(exclude_characters="/?#", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=15,
)


@pytest.fixture
def app(settings):
    app = create_app(settings.with_overrides({"RATELIMIT_ENABLED": False}))
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


# --- what a 4xx must carry --------------------------------------------------------------------


class _Messages(HTMLParser):
    """The text of a page's error elements: role="alert", class "error…"/"alert", the error
    page's card."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        marked = found.get("role") == "alert" or any(
            c.startswith(("error", "field-error")) or c == "alert" for c in classes
        )
        if self.depth or marked:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and data.strip():
            self.texts.append(data.strip())


def _content_type(response) -> str:
    """Werkzeug's headers, or schemathesis's (lowercase names, a list of values each)."""
    value = response.headers.get("Content-Type") or response.headers.get("content-type") or ""
    return value[0] if isinstance(value, list) else value


def assert_answered(response, what) -> None:
    """No 500; a 4xx carries a message (the JSON error's, or an error element's text). Takes
    the test client's answers and schemathesis's alike."""
    status, body = response.status_code, response.text
    assert status < 500, (what, status, body[:2000])
    if not 400 <= status < 500:
        return
    content_type = _content_type(response)
    if "json" in content_type:
        error = json.loads(body)["error"]
        assert error["message"].strip(), (what, error)
        return
    assert content_type.startswith("text/html"), (what, content_type)
    parser = _Messages()
    parser.feed(body)
    assert parser.texts, (what, status, body[:2000])


# --- the OpenAPI documents ---------------------------------------------------------------------


def _says_why(case, response) -> None:
    assert_answered(response, (case.method, case.formatted_path, case.body))


def with_email(settings, smtp, monkeypatch):
    """These settings with the local SMTP server, exported where the jobs read them."""
    wired = settings.with_overrides(
        {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none"}
    )
    export_settings(monkeypatch, wired)
    return wired


def _filed(client) -> tuple[str, str]:
    """A complaint filed by the public API: (its code, the reporter's key)."""
    text = "Jalan berlubang besar di depan pasar, sudah tiga bulan"
    body = {"text": text, "contact": {"email": EMAIL}}
    response = client.post("/api/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    answer = response.get_json()
    return answer["tracking_code"], answer["reporter_key"]


def _public_cases(operation, filed: list[tuple[str, str]]):
    """The operation's generated requests, many of them naming a real complaint and its key
    (a random code and key would never reach the reporter's commands)."""
    pairs = st.sampled_from(filed) | st.just(None)

    def steered(drawn):
        case, pair, with_key = drawn
        if pair is not None and "{code}" in operation.path:
            code, key = pair
            case.path_parameters = {**case.path_parameters, "code": code}
            if with_key:
                case.headers = {**(case.headers or {}), "X-Reporter-Key": key}
        return case

    return st.tuples(operation.as_strategy(), pairs, st.booleans()).map(steered)


def test_the_public_api_keeps_its_promises_over_a_long_run(settings, smtp, monkeypatch):
    # With email on: POST /my-complaints otherwise answers 503 (links cannot be sent).
    settings = with_email(settings, smtp, monkeypatch)
    app = create_app(settings.with_overrides({"RATELIMIT_ENABLED": False}))
    client = app.test_client()
    filed = [_filed(client) for _ in range(3)]
    resolve(settings, filed[0][0])
    ask(settings, filed[1][0])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    tried = drive(
        schema,
        lambda operation: _public_cases(operation, filed),
        examples=EXAMPLES,
        also=_says_why,
    )
    operations = {(method, path) for method, path, _ in tried}
    # Hypothesis stops early on an operation with little to vary (GET /agencies has no input).
    assert len(operations) == 9 and len(tried) >= 4 * EXAMPLES
    assert any(code < 300 for *_, code in tried) and any(code >= 400 for *_, code in tried)


def test_the_staff_api_keeps_its_promises_over_a_long_run(app, settings):
    officer = officer_world(settings)
    schema = schemathesis.openapi.from_wsgi("/api/v1/staff/openapi.json", app)
    document = app.test_client().get("/api/v1/staff/openapi.json").get_json()
    tried = drive(
        schema,
        lambda operation: realistic_cases(operation, document, officer),
        examples=EXAMPLES,
        headers=officer["headers"],
        also=_says_why,
    )
    assert len({(method, path) for method, path, _ in tried}) == 7
    assert len(tried) >= 4 * EXAMPLES


# --- the reporter's actions on the web -------------------------------------------------------


def resolve(settings, code: str) -> None:
    now = datetime.now(UTC)
    act_on(settings, code, workflow.Action.VERIFY, actor=STAFF, now=now, agency_code="PUPR")
    act_on(settings, code, workflow.Action.RESPOND, actor=STAFF, now=now, note="Ditambal besok")
    act_on(settings, code, workflow.Action.RESOLVE, actor=STAFF, now=now, note="Sudah ditambal")


def ask(settings, code: str) -> None:
    now = datetime.now(UTC)
    act_on(settings, code, workflow.Action.VERIFY, actor=STAFF, now=now, agency_code="PUPR")
    act_on(settings, code, workflow.Action.REQUEST_INFO, actor=STAFF, now=now, note="Di mana?")


def _with_key(app, code: str, key: str):
    """A browser that opened the private link: it holds the key of this complaint."""
    browser = app.test_client()
    assert browser.get(f"/lacak/{code}?kunci={key}").status_code < 400
    return browser


def _with_contact(app, settings, code: str):
    """A browser that opened the emailed "my complaints" link of the reporter's address."""
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        token = token_for(settings, complaint.reporter_id, Contact.typed(EMAIL), datetime.now(UTC))
    browser = app.test_client()
    assert browser.get(f"/lacak/saya?kunci={token}").status_code == 303
    return browser


anything = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        ["", "1", "3", "5", "0", "6", "-1", "²", "4.5", "Belum diperbaiki sama sekali"]
    ),
    st.text(alphabet="0123456789", min_size=1, max_size=40),
)
FIELDS = ["rating", "comment", "reason", "info", "csrf_token", "kunci", "code"]
forms = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=20), anything, max_size=5)
ACTIONS = ["nilai", "buka-kembali", "keterangan"]


@pytest.fixture
def reporters(app, client, settings):
    """Three complaints (resolved, waiting for the reporter's answer, just received) and the
    browsers that may act on them: by key, by proven contact, and a stranger's."""
    filed = [_filed(client) for _ in range(3)]
    resolve(settings, filed[0][0])
    ask(settings, filed[1][0])
    browsers = {
        "stranger": app.test_client(),
        "contact": _with_contact(app, settings, filed[0][0]),
    }
    for index, (code, key) in enumerate(filed):
        browsers[f"key{index}"] = _with_key(app, code, key)
    return {"codes": [code for code, _ in filed], "browsers": browsers}


@given(
    who=st.sampled_from(["stranger", "contact", "key0", "key1", "key2"]),
    which=st.integers(0, 2) | path_part,
    action=st.sampled_from(ACTIONS),
    form=forms,
)
@hsettings(max_examples=FORMS, **HYPOTHESIS)
def test_the_reporters_actions_answer_any_form_without_a_500(reporters, who, which, action, form):
    code = reporters["codes"][which] if isinstance(which, int) else which
    path = f"/lacak/{code}/{action}"
    response = reporters["browsers"][who].post(path, data=form)
    assert_answered(response, (who, path, form))
    if response.status_code == 303:
        assert urlsplit(response.headers["Location"]).path.startswith("/lacak/")


# --- the staff console -------------------------------------------------------------------------

CONSOLE_ROLES = {
    "petugas": (Role.OFFICER, "PUPR"),
    "verifikator": (Role.VERIFIER, None),
    "kepala": (Role.SUPERVISOR, None),
    "admin": (Role.ADMIN, None),
}
LIST_KEYS = [
    "q", "status", "agency", "opd", "regency", "kabupaten", "channel", "sla", "overdue",
    "terlambat", "level", "tingkat", "from", "dari", "to", "sampai", "triage", "triase", "sort",
    "page", "per_page", "format", "daftar", "belum", "untuk", "templat", "ubah", "lihat", "lang",
]  # fmt: skip
FORM_KEYS = [
    "action", "note", "agency", "reason", "duplicate_of", "forwarded_to", "next", "confirm",
    "codes", "id", "semua", "title", "body", "shared", "label", "dari", "sampai",
]  # fmt: skip
VALUES = [
    "", "1", "0", "-1", "²", "99999999999999999999", "all", "open", "semua", "received",
    "routed,closed", "PUPR", "DISHUB", "pupr", "csv", "eskalasi", "newest", "deadline",
    "uncertainty", "overdue", "2026-11-23", "0001-01-01", "9999-12-31", "2026-02-30", "verify",
    "transfer", "reject", "respond", "note", "forward", "spam", "duplicate", "Kapuas",
    "/petugas/", "//evil.example/", "https://evil.example/", "' OR '1'='1", "<script>x</script>",
]  # fmt: skip
values = st.sampled_from(VALUES) | st.text(max_size=60)


@pytest.fixture
def console(app, settings):
    """A signed-in browser of each staff role, and the codes of a few complaints."""
    now = datetime.now(UTC)
    with Session(db.engine_for(settings.database_url)) as session:
        for name, (role, agency) in CONSOLE_ROLES.items():
            accounts.create_user(
                session,
                username=name,
                password=STAFF_PASSWORD,
                role=role,
                agency_code=agency,
                now=now,
            )
        session.commit()
    client = app.test_client()
    codes = [_filed(client)[0] for _ in range(3)]
    resolve(settings, codes[0])
    act_on(settings, codes[1], workflow.Action.VERIFY, actor=STAFF, now=now, agency_code="PUPR")
    browsers = {}
    for name in CONSOLE_ROLES:
        browser = app.test_client()
        signed = browser.post("/masuk", data={"username": name, "password": STAFF_PASSWORD})
        assert signed.status_code == 303, signed.text
        browsers[name] = browser
    return {"browsers": browsers, "codes": codes}


def _console_paths(codes: list[str]):
    code = st.sampled_from(codes) | path_part
    number = st.integers(-5, 10**20).map(str)
    return st.one_of(
        st.just("/petugas/"),
        st.just("/petugas/dasbor"),
        st.just("/petugas/pemberitahuan"),
        st.just("/petugas/templat"),
        code.map(lambda c: f"/petugas/pengaduan/{c}"),
        st.tuples(code, number).map(lambda p: f"/petugas/pengaduan/{p[0]}/lampiran/{p[1]}"),
        st.sampled_from(["PUPR", "DISHUB", "pupr"]).map(lambda c: f"/petugas/dasbor/opd/{c}"),
        path_part.map(lambda c: f"/petugas/dasbor/opd/{c}"),
        number.map(lambda n: f"/petugas/pemberitahuan/{n}"),
    )


def _console_posts(codes: list[str]):
    code = st.sampled_from(codes) | path_part
    number = st.integers(-5, 10**20).map(str)
    return st.one_of(
        st.just("/petugas/massal"),
        st.just("/petugas/templat"),
        st.just("/petugas/pemberitahuan/baca"),
        st.just("/petugas/dasbor/ambang/kembalikan"),
        code.map(lambda c: f"/petugas/pengaduan/{c}/tindakan"),
        number.map(lambda n: f"/petugas/templat/{n}/hapus"),
    )


def _multi(keys: list[str], codes: list[str]):
    """A query string or form body: known names and strangers, some repeated, any values."""
    key = st.sampled_from(keys) | st.text(max_size=12)
    value = values | st.sampled_from(codes)
    return st.lists(st.tuples(key, value), max_size=8)


@given(data=st.data())
@hsettings(max_examples=FORMS, **HYPOTHESIS)
def test_the_console_lists_answer_any_query_string_without_a_500(console, data):
    who = data.draw(st.sampled_from(list(CONSOLE_ROLES)))
    path = data.draw(_console_paths(console["codes"]))
    query = data.draw(_multi(LIST_KEYS, console["codes"]))
    response = console["browsers"][who].get(path, query_string=MultiDict(query))
    assert_answered(response, (who, path, query))


@given(data=st.data())
@hsettings(max_examples=FORMS, **HYPOTHESIS)
def test_the_console_forms_answer_any_body_without_a_500(console, data):
    who = data.draw(st.sampled_from(list(CONSOLE_ROLES)))
    path = data.draw(_console_posts(console["codes"]))
    form = data.draw(_multi(FORM_KEYS, console["codes"]))
    response = console["browsers"][who].post(path, data=MultiDict(form))
    assert_answered(response, (who, path, form))
    if response.status_code in (302, 303):
        assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")
