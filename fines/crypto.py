"""Account numbers at rest: Fernet encryption (cryptography) and a keyed hash for search.

Keys come from settings (``KMCS_FIELD_ENCRYPTION_KEYS``: the first encrypts, every key decrypts,
so keys rotate without a data migration; ``KMCS_ACCOUNT_HMAC_KEY`` for the hash). When unset
they are derived from ``SECRET_KEY`` with HKDF, which is right for dev and tests only:
production refuses to start without both (:func:`key_problems`, read by
``kmcs_site/settings/production.py``) and ``check --deploy`` errors when they are derived
(``fines/checks.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class DecryptionError(Exception):
    """A stored value cannot be decrypted with the configured keys."""


def _derive(label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
        settings.SECRET_KEY.encode()
    )


@cache
def _fernet_for(keys: tuple[str, ...], secret: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(b"kmcs-fines-fernet")))])


def _fernet() -> MultiFernet:
    # Keyed on the settings values so a test that overrides them gets the matching cipher.
    return _fernet_for(tuple(settings.KMCS_FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("저장된 계좌번호를 복호화할 수 없습니다 (암호화 키 확인).") from exc


def account_hash(digits: str) -> str:
    """HMAC-SHA256 of the account digits: equality search without storing the number."""
    key = settings.KMCS_ACCOUNT_HMAC_KEY.encode() or _derive(b"kmcs-fines-account-hmac")
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


#: The HMAC key is a secret: shorter than this it can be guessed.
MIN_HMAC_KEY_LENGTH = 32


def key_problems(fernet_keys, hmac_key) -> list[str]:
    """What is wrong with the configured keys (empty: both set and usable).

    Pure (no settings), so the production settings module can call it while it loads and the
    deploy check can call it with the live settings. Each message starts with the setting name.
    """
    problems = []
    keys = [key for key in (fernet_keys or []) if key]
    if not keys:
        problems.append(
            "KMCS_FIELD_ENCRYPTION_KEYS is not set: account numbers would be encrypted with a "
            "key derived from SECRET_KEY. Set one or more Fernet keys (comma-separated, the "
            "first encrypts), e.g. from Fernet.generate_key()."
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            problems.append(
                f"KMCS_FIELD_ENCRYPTION_KEYS key #{position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            )
    if not hmac_key:
        problems.append(
            "KMCS_ACCOUNT_HMAC_KEY is not set: the account search hash would be keyed with a "
            "value derived from SECRET_KEY. Set a random secret of "
            f"{MIN_HMAC_KEY_LENGTH}+ characters."
        )
    elif len(hmac_key) < MIN_HMAC_KEY_LENGTH:
        problems.append(f"KMCS_ACCOUNT_HMAC_KEY is shorter than {MIN_HMAC_KEY_LENGTH} characters.")
    return problems
