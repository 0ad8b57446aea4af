"""Bad input to the bench (issue 17): a clear Korean message before anything is generated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.sizes import SizeError, check_database, parse_sizes

ROOT = Path(__file__).resolve().parents[2]


def test_named_and_numeric_sizes():
    assert parse_sizes("10k,1m,100_000") == [10_000, 100_000, 1_000_000]


@pytest.mark.parametrize("raw", ["huge", "10x", "-5", "0", "2000000", ""])
def test_unknown_sizes_are_refused(raw):
    with pytest.raises(SizeError, match="규모"):
        parse_sizes(raw)


def test_a_million_needs_postgresql():
    with pytest.raises(SizeError, match="PostgreSQL"):
        check_database([10_000, 1_000_000], "sqlite:///tmp/x.sqlite3")
    check_database([1_000_000], "postgres://postgres@127.0.0.1:5432/kmcs_perf")
    check_database([100_000], "sqlite:///tmp/x.sqlite3")


def _run(*args, env_db: str = "") -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": env_db} if env_db else {"PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_run_refuses_before_creating_the_database(tmp_path):
    target = tmp_path / "bench.sqlite3"
    result = _run("bench/run.py", "--sizes", "10k,1m", "--database-url", f"sqlite:///{target}")
    assert result.returncode == 2
    assert "PostgreSQL에서만" in result.stderr
    assert not target.exists()
    unknown = _run("bench/run.py", "--sizes", "lots", "--database-url", f"sqlite:///{target}")
    assert unknown.returncode == 2 and "알 수 없는 규모" in unknown.stderr
    assert not target.exists()


def test_seed_data_refuses_a_million_on_sqlite(tmp_path):
    target = tmp_path / "seed.sqlite3"
    result = _run("bench/seed_data.py", "--cases", "1000000", env_db=f"sqlite:///{target}")
    assert result.returncode == 2 and "PostgreSQL에서만" in result.stderr
    assert not target.exists()
