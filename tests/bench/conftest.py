"""Fixtures of the bench tests: a small generated data set (``bench/seed_data.py``) and the
bench users it creates. Fast and untimed: the timed runs live in ``bench/run.py``."""

from __future__ import annotations

import pytest


@pytest.fixture
def seeded(db):
    """seeded(n) -> the seed report after adding ``n`` generated cases (executemany path)."""
    from bench.seed_data import seed

    def _seed(n: int, **options):
        return seed(cases=n, chunk=options.pop("chunk", 100), copy=False, **options)

    return _seed


@pytest.fixture
def bench_staff(db):
    from bench.seed_data import ensure_staff

    return ensure_staff()
