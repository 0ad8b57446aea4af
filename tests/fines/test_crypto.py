"""Account numbers at rest: Fernet ciphertext in the database, a keyed hash for search, and a
Python value that shows nothing unless revealed."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from fines import crypto
from fines.fields import Sealed


def test_round_trip_and_randomised_ciphertext():
    a, b = crypto.encrypt("110000123456"), crypto.encrypt("110000123456")
    assert a != b  # Fernet is randomised: equal numbers do not give equal tokens
    assert crypto.decrypt(a) == crypto.decrypt(b) == "110000123456"


def test_explicit_keys_rotate(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KMCS_FIELD_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("110000123456")
    settings.KMCS_FIELD_ENCRYPTION_KEYS = [new, old]  # new key first, old still decrypts
    assert crypto.decrypt(token) == "110000123456"
    settings.KMCS_FIELD_ENCRYPTION_KEYS = [new]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_hash_is_keyed(settings):
    plain = crypto.account_hash("110000123456")
    assert plain == crypto.account_hash("110000123456")
    settings.KMCS_ACCOUNT_HMAC_KEY = "another-key"
    assert crypto.account_hash("110000123456") != plain


def test_sealed_value_never_prints_the_number():
    sealed = Sealed(crypto.encrypt("110000123456"))
    assert "110000" not in str(sealed) and "110000" not in repr(sealed)
    assert sealed.reveal() == "110000123456"


@pytest.mark.django_db
def test_database_holds_ciphertext_only(intake):
    from fines.models import FineNotice, FinePayout

    result = intake()
    with connection.cursor() as cursor:
        for table, pk in (
            (FineNotice._meta.db_table, result.notice.pk),
            (FinePayout._meta.db_table, result.payout.pk),
        ):
            cursor.execute(f"SELECT account FROM {table} WHERE id = %s", [pk])
            (raw,) = cursor.fetchone()
            assert "110000123456" not in raw and "123456" not in raw
    payout = FinePayout.objects.get(pk=result.payout.pk)
    assert isinstance(payout.account, Sealed)
    assert payout.account.reveal() == "110000123456"
    assert payout.account_masked.endswith("3456")
    history_row = payout.history.first()
    assert "110000123456" not in str(history_row.account)
