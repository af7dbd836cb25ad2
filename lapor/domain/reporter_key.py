"""The reporter's secret: what lets the person who filed a complaint act on it.

The tracking code is public (it is printed on the public list); the reporter key is not. It is
made once at filing, shown to the reporter once, and stored only as its SHA-256 (a random
160-bit key needs no slow hash: there is nothing to guess from the hash). Emails to the
reporter carry a *link key* instead, an HMAC of the stored hash under the installation's
secret, computed when the email goes out, so no plain credential is ever written to a row.
Issuing a new key changes the hash, which retires the old key and every old link key with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from lapor.domain import tracking

KEY_BYTES = 20  # 160 bits; token_urlsafe gives 27 characters
MAX_CREDENTIAL = 100  # longer than either kind of key: refused before any hashing


def new_key() -> tuple[str, str]:
    """A fresh key and the hash to store for it."""
    key = secrets.token_urlsafe(KEY_BYTES)
    return key, key_hash(key)


def retry_safe_key(secret: str, idempotency_key: str, fingerprint: str) -> tuple[str, str]:
    """The key for a filing sent with an idempotency key, and its hash: derived from that key
    and the content's fingerprint under the installation's secret, so that a retry of the
    same filing gets the same key back (a retry is sent when the first answer was lost) and
    nothing but the hash is stored. Without the secret it cannot be computed from the rows."""
    message = f"reporter-key:{idempotency_key}:{fingerprint}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()[:KEY_BYTES]
    key = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return key, key_hash(key)


def key_hash(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def link_key(stored_hash: str, secret: str) -> str:
    """The credential an email to the reporter carries, derived from the current key."""
    digest = hmac.new(secret.encode(), f"reporter-link:{stored_hash}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def matches(credential: str | None, stored_hash: str, secret: str) -> bool:
    """Whether the credential is the complaint's reporter key or a link key made from it."""
    if not credential or len(credential) > MAX_CREDENTIAL or not stored_hash:
        return False
    as_key = hmac.compare_digest(key_hash(credential), stored_hash)
    as_link = hmac.compare_digest(credential.encode(), link_key(stored_hash, secret).encode())
    return as_key or as_link


def follow_up_url(public_url: str, tracking_code: str, credential: str) -> str:
    """The reporter's private link: it opens their own view of the complaint."""
    code = tracking.display(tracking_code)
    return f"{public_url.rstrip('/')}/lacak/{code}?kunci={credential}"
