"""Staff accounts in the admin's browser (/admin/pengguna): the list with last sign-in and
lockout, one account's page to edit role, OPD and name, disable/enable, a new password and
unlocking behind a confirmation page, and every staff member's own password change — each
change in the audit of configuration."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.infra import db
from lapor.services import accounts
from models import Agency, ConfigChange, Role, User

from support import STAFF_PASSWORD

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
NEW_PASSWORD = "sandi-baru-yang-panjang"
USERS = {
    "admin": (Role.ADMIN, None),
    "dishub": (Role.OFFICER, "DISHUB"),
    "verif": (Role.VERIFIER, None),
    "super": (Role.SUPERVISOR, None),
}


@pytest.fixture
def app(settings):
    app = create_app(settings.with_overrides({"RATELIMIT_ENABLED": False}))
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


@pytest.fixture
def ids(settings) -> dict[str, int]:
    found = {}
    with Session(db.engine_for(settings.database_url)) as session:
        for name, (role, agency) in USERS.items():
            user = accounts.create_user(
                session,
                username=name,
                password=STAFF_PASSWORD,
                role=role,
                agency_code=agency,
                full_name=name.title(),
                now=NOW,
            )
            found[name] = user.id
        session.commit()
    return found


def sign_in(app, username: str, password: str = STAFF_PASSWORD):
    client = app.test_client()
    response = client.post("/masuk", data={"username": username, "password": password})
    return client, response.status_code


def admin(app):
    client, status = sign_in(app, "admin")
    assert status == 303
    return client


def user(settings, user_id: int) -> SimpleNamespace:
    """An account as the database has it now, with its OPD's code."""
    with Session(db.engine_for(settings.database_url)) as session:
        found = session.get(User, user_id)
        agency = session.get(Agency, found.agency_id) if found.agency_id else None
        return SimpleNamespace(**found.model_dump(), agency_code=agency and agency.code)


def changes(settings, action: str | None = None) -> list[ConfigChange]:
    with Session(db.engine_for(settings.database_url)) as session:
        query = select(ConfigChange).where(ConfigChange.subject == "account")
        if action:
            query = query.where(ConfigChange.action == action)
        return list(session.exec(query.order_by(ConfigChange.id)))


def row(page: str, username: str) -> str:
    """The list's row of one account."""
    start = page.index(f'id="user-{username}"')
    return page[start : page.index("</tr>", start)]


def test_the_list_shows_roles_opds_and_last_sign_in_in_wib(app, ids):
    sign_in(app, "dishub")
    client = admin(app)
    page = client.get("/admin/pengguna").get_data(as_text=True)
    assert '<a href="/admin/pengguna" aria-current="page">' in page  # the admin tabs
    officer = row(page, "dishub")
    assert "Petugas OPD" in officer and "DISHUB" in officer
    assert re.search(r"\d{2}\.\d{2} WIB", officer)
    assert "belum pernah" in row(page, "verif") and "Verifikator" in row(page, "verif")
    assert "Pengawas" in row(page, "super")
    assert "terkunci" not in page
    account = client.get(f"/admin/pengguna/{ids['dishub']}").get_data(as_text=True)
    assert "WIB" in account[account.index('id="last-login"') :][:80]
    english = client.get("/admin/pengguna?lang=en").get_data(as_text=True)
    assert "Agency officer" in row(english, "dishub") and "never" in row(english, "verif")


def test_an_admin_changes_an_accounts_role_opd_and_name(app, settings, ids):
    client = admin(app)
    page = client.get(f"/admin/pengguna/{ids['verif']}").get_data(as_text=True)
    assert 'id="account-form"' in page and "Ubah peran, OPD, dan nama" in page
    moved = client.post(
        f"/admin/pengguna/{ids['verif']}",
        data={"role": "officer", "agency": "PUPR", "full_name": "Verif Pindah"},
    )
    assert moved.status_code == 303
    changed = user(settings, ids["verif"])
    assert (changed.role, changed.agency_code, changed.full_name) == (
        Role.OFFICER,
        "PUPR",
        "Verif Pindah",
    )
    assert "Akun diperbarui." in client.get(moved.headers["Location"]).get_data(as_text=True)
    [audit] = changes(settings, "update")
    assert (audit.actor, audit.key, audit.user_id) == ("admin", "verif", ids["admin"])
    assert audit.before == {"full_name": "Verif", "role": "verifier", "agency": None}
    assert audit.after == {"full_name": "Verif Pindah", "role": "officer", "agency": "PUPR"}
    # Saving the same again changes nothing and records nothing.
    client.post(
        f"/admin/pengguna/{ids['verif']}",
        data={"role": "officer", "agency": "PUPR", "full_name": "Verif Pindah"},
    )
    assert len(changes(settings, "update")) == 1


REFUSED = [
    ("verif", {"role": "officer", "agency": ""}, "wajib terdaftar pada satu OPD"),
    ("verif", {"role": "officer", "agency": "TIDAKADA"}, "tidak ada"),
    ("verif", {"role": "officer", "agency": "BAPPERIDA"}, "sudah nonaktif"),
    ("verif", {"role": "raja"}, "Peran tidak dikenal"),
    ("admin", {"role": "verifier"}, "tidak dapat mencabut peran admin Anda sendiri"),
]


def test_a_refused_account_change_says_why_and_changes_nothing(app, settings, ids):
    with Session(db.engine_for(settings.database_url)) as session:
        closed = session.exec(select(Agency).where(Agency.code == "BAPPERIDA")).one()
        closed.active = False
        session.add(closed)
        session.commit()
    client = admin(app)
    for who, form, message in REFUSED:
        before = user(settings, ids[who])
        refused = client.post(f"/admin/pengguna/{ids[who]}", data={"full_name": "Baru", **form})
        assert refused.status_code == 422, (who, form)
        text = refused.get_data(as_text=True)
        assert message in text and 'id="account-error"' in text, (who, form)
        after = user(settings, ids[who])
        assert (after.role, after.agency_id, after.full_name) == (
            before.role,
            before.agency_id,
            before.full_name,
        )
    assert changes(settings, "update") == []


def test_an_unknown_account_or_action_is_not_found(app, ids):
    client = admin(app)
    assert client.get("/admin/pengguna/99999").status_code == 404
    assert client.post("/admin/pengguna/99999", data={"role": "admin"}).status_code == 404
    assert client.get("/admin/pengguna/99999/nonaktifkan").status_code == 404
    assert client.get(f"/admin/pengguna/{ids['verif']}/hapus").status_code == 404
    assert client.post(f"/admin/pengguna/{ids['verif']}/hapus").status_code == 404


def test_disabling_and_enabling_are_confirmed_first(app, settings, ids):
    client = admin(app)
    officer, _ = sign_in(app, "dishub")
    confirm = client.get(f"/admin/pengguna/{ids['dishub']}/nonaktifkan")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Nonaktifkan akun dishub?" in text
    assert "Token API-nya tidak berlaku lagi." in text and "Ya, nonaktifkan" in text
    assert user(settings, ids["dishub"]).active  # asking changes nothing
    done = client.post(f"/admin/pengguna/{ids['dishub']}/nonaktifkan")
    assert done.status_code == 303
    assert "Akun dishub dinonaktifkan." in client.get(done.headers["Location"]).text
    assert officer.get("/petugas/").status_code == 302  # the open session ended
    assert sign_in(app, "dishub")[1] == 401
    listed = row(client.get("/admin/pengguna").text, "dishub")
    assert "nonaktif" in listed
    # Enabling: the other way round, also confirmed.
    assert "Ya, aktifkan kembali" in client.get(f"/admin/pengguna/{ids['dishub']}/aktifkan").text
    assert client.post(f"/admin/pengguna/{ids['dishub']}/aktifkan").status_code == 303
    assert sign_in(app, "dishub")[1] == 303
    audit = [(c.action, c.before, c.after, c.actor) for c in changes(settings)]
    assert audit == [
        ("disable", {"active": True}, {"active": False}, "admin"),
        ("enable", {"active": False}, {"active": True}, "admin"),
    ]


def test_an_admin_cannot_disable_their_own_account(app, settings, ids):
    client = admin(app)
    page = client.get(f"/admin/pengguna/{ids['admin']}/nonaktifkan").get_data(as_text=True)
    assert 'id="refused"' in page and '<form method="post" class="confirm-buttons"' not in page
    refused = client.post(f"/admin/pengguna/{ids['admin']}/nonaktifkan")
    assert refused.status_code == 422
    assert "Anda tidak dapat menonaktifkan akun Anda sendiri." in refused.get_data(as_text=True)
    assert user(settings, ids["admin"]).active and changes(settings) == []


def test_a_new_password_is_confirmed_then_shown_once(app, settings, ids):
    client = admin(app)
    officer, _ = sign_in(app, "dishub")
    confirm = client.get(f"/admin/pengguna/{ids['dishub']}/sandi-baru").get_data(as_text=True)
    assert "Buat kata sandi baru untuk dishub?" in confirm and "Ya, buat kata sandi baru" in confirm
    assert sign_in(app, "dishub")[1] == 303  # asking changes nothing
    reset = client.post(f"/admin/pengguna/{ids['dishub']}/sandi-baru")
    assert reset.status_code == 200 and reset.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="new-password">.*?<code>([^<]+)</code>', reset.text).group(1)
    assert officer.get("/petugas/").status_code == 302
    assert sign_in(app, "dishub")[1] == 401
    assert sign_in(app, "dishub", password)[1] == 303
    assert password not in client.get(f"/admin/pengguna/{ids['dishub']}").text
    [audit] = changes(settings, "reset_password")
    assert (audit.key, audit.actor, audit.before, audit.after) == ("dishub", "admin", None, None)


def fail_sign_ins(app, username: str, times: int = accounts.MAX_FAILURES) -> None:
    for _ in range(times):
        assert sign_in(app, username, "salah-sekali-ini")[1] == 401


def test_a_locked_account_is_shown_and_unlocking_lets_its_owner_in(app, settings, ids):
    client = admin(app)
    not_locked = client.get(f"/admin/pengguna/{ids['dishub']}/buka-kunci").text
    assert 'id="not-locked"' in not_locked and "Ya, buka kunci" not in not_locked
    fail_sign_ins(app, "dishub")
    assert sign_in(app, "dishub")[1] == 429
    listed = row(client.get("/admin/pengguna").text, "dishub")
    assert "terkunci" in listed and f"/admin/pengguna/{ids['dishub']}/buka-kunci" in listed
    account = client.get(f"/admin/pengguna/{ids['dishub']}").text
    assert "setelah 5 kali gagal masuk" in account and "Buka kunci" in account
    confirm = client.get(f"/admin/pengguna/{ids['dishub']}/buka-kunci").text
    assert "terkunci setelah 5 kali gagal masuk" in confirm and "Ya, buka kunci" in confirm
    assert sign_in(app, "dishub")[1] == 429  # asking changes nothing
    done = client.post(f"/admin/pengguna/{ids['dishub']}/buka-kunci")
    assert done.status_code == 303
    assert "Kunci akun dishub dibuka" in client.get(done.headers["Location"]).text
    assert sign_in(app, "dishub")[1] == 303
    assert "terkunci" not in row(client.get("/admin/pengguna").text, "dishub")
    [audit] = changes(settings, "unlock")
    assert (audit.key, audit.before, audit.after) == ("dishub", {"failures": 5}, {"failures": 0})


def test_without_redis_the_list_works_and_says_the_lock_is_unknown(settings, ids):
    down = create_app(settings.with_overrides({"redis_url": "redis://127.0.0.1:1/0"}))
    down.config.update(TESTING=True, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    client = admin(down)
    page = client.get("/admin/pengguna")
    assert page.status_code == 200 and 'id="lock-unknown"' in page.text
    assert "tidak diketahui" in row(page.text, "dishub")
    account = client.get(f"/admin/pengguna/{ids['dishub']}")
    assert account.status_code == 200 and "Redis tidak dapat dihubungi" in account.text
    unlock = client.post(f"/admin/pengguna/{ids['dishub']}/buka-kunci")
    assert unlock.status_code == 503 and "Redis tidak dapat dihubungi" in unlock.text
    assert changes(settings, "unlock") == []


def test_the_confirmations_need_a_csrf_token(settings, ids):
    strict = create_app(settings.with_overrides({"RATELIMIT_ENABLED": False}))
    strict.config.update(TESTING=True)
    client = strict.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/masuk").text).group(1)
    data = {"username": "admin", "password": STAFF_PASSWORD, "csrf_token": token}
    assert client.post("/masuk", data=data).status_code == 303
    assert client.post(f"/admin/pengguna/{ids['dishub']}/nonaktifkan").status_code == 400
    assert user(settings, ids["dishub"]).active
    page = client.get(f"/admin/pengguna/{ids['dishub']}/nonaktifkan").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = client.post(f"/admin/pengguna/{ids['dishub']}/nonaktifkan", data={"csrf_token": token})
    assert done.status_code == 303 and not user(settings, ids["dishub"]).active


def test_only_an_admin_opens_the_account_pages(app, ids):
    for name in ("dishub", "verif", "super"):
        client, _ = sign_in(app, name)
        for path in (
            "/admin/pengguna",
            f"/admin/pengguna/{ids['dishub']}",
            f"/admin/pengguna/{ids['dishub']}/sandi-baru",
        ):
            assert client.get(path).status_code == 403, (name, path)
        assert client.post(f"/admin/pengguna/{ids['admin']}/sandi-baru").status_code == 403
    assert app.test_client().get("/admin/pengguna/1").status_code == 302


def test_every_role_changes_its_own_password_and_it_is_audited(app, settings, ids):
    for name in USERS:
        client, _ = sign_in(app, name)
        assert client.get("/akun/sandi").status_code == 200, name
        changed = client.post(
            "/akun/sandi",
            data={"current": STAFF_PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD},
        )
        assert changed.status_code == 303, name
        assert sign_in(app, name)[1] == 401
        assert sign_in(app, name, NEW_PASSWORD)[1] == 303
    audit = changes(settings, "change_password")
    assert [(c.key, c.actor, c.user_id) for c in audit] == [
        (name, name, ids[name]) for name in USERS
    ]
    assert all(c.before is None and c.after is None for c in audit)
    history = admin_history(app, ids["dishub"])
    assert "Kata sandi diganti pemiliknya" in history and "oleh dishub" in history


def admin_history(app, user_id: int) -> str:
    client, _ = sign_in(app, "admin", NEW_PASSWORD)
    page = client.get(f"/admin/pengguna/{user_id}").text
    return page[page.index('id="account-history"') :]


def test_a_new_account_is_audited_and_its_page_lists_its_history(app, settings, ids):
    client = admin(app)
    made = client.post(
        "/admin/pengguna",
        data={"username": "budi", "full_name": "Budi", "role": "officer", "agency": "PUPR"},
    )
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    [created] = changes(settings, "create")
    assert created.key == "budi" and created.after["agency"] == "PUPR"
    assert "password" not in str(created.after)
    budi = next(u for u, _ in accounts_list(settings) if u.username == "budi")
    client.post(f"/admin/pengguna/{budi.id}", data={"role": "verifier", "full_name": "Budi S"})
    page = client.get(f"/admin/pengguna/{budi.id}").text
    history = page[page.index('id="account-history"') :]
    assert "Akun dibuat" in history and "Diubah" in history
    assert "Peran: Petugas OPD → Verifikator" in history and "OPD: PUPR → -" in history


def accounts_list(settings):
    with Session(db.engine_for(settings.database_url)) as session:
        return accounts.staff_accounts(session)
