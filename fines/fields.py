"""A model field that keeps a secret encrypted in the database *and* in Python.

Reading the row gives a :class:`Sealed` value, not the plaintext: printing it, rendering it in
the admin or serialising it shows a placeholder, so a careless ``{{ payout.account }}`` leaks
nothing. Only :meth:`Sealed.reveal` decrypts, and the services call it after the permission
check and the unmask log (``fines.services.payouts.account_reveal``).
"""

from __future__ import annotations

from django.db import models

from . import crypto


class Sealed:
    __slots__ = ("token",)

    def __init__(self, token: str):
        self.token = token

    def reveal(self) -> str:
        return crypto.decrypt(self.token)

    def __str__(self) -> str:
        return "(암호화됨)"

    __repr__ = __str__

    def __eq__(self, other):
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self):
        return hash(self.token)


class EncryptedTextField(models.TextField):
    """Assign a plaintext ``str`` (or a :class:`Sealed`); the database only sees Fernet tokens."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return Sealed(value)

    def to_python(self, value):
        return value

    def pre_save(self, model_instance, add):
        # Seal the plaintext on the instance too, so it does not linger after save().
        value = getattr(model_instance, self.attname)
        if value not in (None, "") and not isinstance(value, Sealed):
            value = Sealed(crypto.encrypt(str(value)))
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        if isinstance(value, Sealed):
            return value.token
        return crypto.encrypt(str(value))

    def value_to_string(self, obj):
        # dumpdata / serializers: the token, never the plaintext.
        value = self.value_from_object(obj)
        return self.get_prep_value(value) or ""
