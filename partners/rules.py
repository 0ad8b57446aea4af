"""Small pure rules shared by the selectors, the services and the seed loader."""

from __future__ import annotations

from datetime import date


def windows_overlap(
    a_from: date | None, a_until: date | None, b_from: date | None, b_until: date | None
) -> bool:
    """Do two inclusive date windows overlap? ``None`` = open (since always / for ever)."""
    a_starts_before_b_ends = a_from is None or b_until is None or a_from <= b_until
    b_starts_before_a_ends = b_from is None or a_until is None or b_from <= a_until
    return a_starts_before_b_ends and b_starts_before_a_ends
