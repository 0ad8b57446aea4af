"""Issue 12: production started without KMCS_FIELD_ENCRYPTION_KEYS / KMCS_ACCOUNT_HMAC_KEY and
derived both from SECRET_KEY (rotating SECRET_KEY would then make every stored account number
unreadable, and one leaked secret opens both). Production now refuses to start without them,
and ``check --deploy`` reports an error under any settings that derive them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from fines.crypto import key_problems
from tests.production_env import production_env

ROOT = Path(__file__).resolve().parents[2]
HMAC_KEY = "h" * 20 + "-account-hmac-key-for-the-test-only"


def _production(**env_over) -> subprocess.CompletedProcess:
    keys = {
        "KMCS_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "KMCS_ACCOUNT_HMAC_KEY": HMAC_KEY,
    }
    env = production_env(**{**keys, **env_over})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("missing", ["KMCS_FIELD_ENCRYPTION_KEYS", "KMCS_ACCOUNT_HMAC_KEY"])
def test_production_refuses_to_start_without_each_key(missing):
    result = _production(**{missing: None})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


def test_production_refuses_a_key_that_is_not_a_fernet_key():
    result = _production(KMCS_FIELD_ENCRYPTION_KEYS="not-a-fernet-key")
    assert result.returncode != 0
    assert "KMCS_FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_with_both_keys_passes_check_deploy():
    result = _production()
    assert result.returncode == 0, result.stdout + result.stderr


def test_key_problems_names_each_missing_or_weak_key():
    good = [Fernet.generate_key().decode()]
    assert key_problems(good, HMAC_KEY) == []
    assert [p.split(" ")[0] for p in key_problems([], "")] == [
        "KMCS_FIELD_ENCRYPTION_KEYS",
        "KMCS_ACCOUNT_HMAC_KEY",
    ]
    assert key_problems([*good, "nope"], HMAC_KEY)[0].startswith("KMCS_FIELD_ENCRYPTION_KEYS")
    assert key_problems(good, "short")[0].startswith("KMCS_ACCOUNT_HMAC_KEY")


def test_check_deploy_errors_when_the_keys_are_derived_from_secret_key(settings):
    settings.KMCS_FIELD_ENCRYPTION_KEYS = []
    settings.KMCS_ACCOUNT_HMAC_KEY = ""
    with pytest.raises(SystemCheckError, match="fines.E001"):
        call_command("check", deploy=True, tags=["security"])
    # Without --deploy (dev, tests) the derived keys are fine.
    call_command("check", tags=["security"])
    settings.KMCS_FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.KMCS_ACCOUNT_HMAC_KEY = HMAC_KEY
    from fines.checks import check_field_keys

    assert check_field_keys(None) == []
