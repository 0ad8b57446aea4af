"""The batch machinery every import command shares: validate each row, write good rows in
batches (one transaction each), send every refused row to a rejects file with its reason, show
progress, and count.

A row handler (:class:`RowHandler`) does the domain work: ``prepare`` checks one row without
touching the database (or returns a :class:`Reject`), ``write_batch`` writes a batch inside the
runner's transaction and says which rows it created, skipped (already imported: the resume
rule) or refused. A batch that fails in the database is rolled back whole and all its rows go
to the rejects file: nothing is ever half-imported, and the rejects file can be fixed and
imported again (columns/keys starting with ``_`` are the runner's and are ignored on input).
"""

from __future__ import annotations

import csv
import json
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, reset_queries, transaction

from cases.exceptions import CaseError
from cases.intake.sources import RawRow

#: Columns (keys) the runner adds to a rejects file; ignored when a rejects file is imported.
PRIVATE_COLUMNS = ("_line", "_reason")

#: Exceptions that fail one batch (rolled back, rows rejected) rather than the whole import.
BATCH_ERRORS = (DatabaseError, DjangoValidationError, CaseError)


@dataclass(frozen=True)
class Reject:
    reason: str


@dataclass
class Prepared:
    """A row that passed ``prepare``: the raw row (for the rejects file) and what to write."""

    raw: RawRow
    key: str
    value: Any


@dataclass
class BatchOutcome:
    created: int = 0
    skipped: list[Prepared] = field(default_factory=list)
    rejected: list[tuple[Prepared, str]] = field(default_factory=list)


class RowHandler(Protocol):
    def prepare(self, raw: RawRow) -> Prepared | Reject: ...

    def write_batch(self, rows: Sequence[Prepared]) -> BatchOutcome: ...


@dataclass
class ImportStats:
    read: int = 0
    created: int = 0
    skipped: int = 0
    rejected: int = 0
    failed_batches: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        return (
            f"읽은 행 {self.read:,} / 생성 {self.created:,} / 건너뜀(이미 가져옴) {self.skipped:,} / "
            f"거부 {self.rejected:,} (실패한 배치 {self.failed_batches:,}) / "
            f"{self.seconds:,.1f}초, 초당 {self.rows_per_second:,.0f}행"
        )


class RejectsWriter:
    """The rows an import refused, in the input's own format plus ``_line`` and ``_reason``."""

    def __init__(self, path: Path, *, fmt: str, header: list[str] | None = None):
        self.path = path
        self.fmt = fmt
        self.count = 0
        self._handle = None
        self._writer = None
        header = list(header or [])
        # A rejects file imported again has our columns already: they are replaced, not added.
        self._keep = [i for i, name in enumerate(header) if name not in PRIVATE_COLUMNS]
        self._header = [header[i] for i in self._keep]

    def _open(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.fmt == "csv":
            # utf-8-sig: spreadsheets open it as UTF-8; the importer reads it back as is.
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow([*(self._header or []), "_line", "_reason"])
        else:
            self._handle = self.path.open("w", encoding="utf-8")

    def write(self, raw: RawRow, reason: str) -> None:
        if self._handle is None:
            self._open()
        self.count += 1
        if self.fmt == "csv":
            values = list(raw.values or [])
            if len(values) < len(self._keep) + len(PRIVATE_COLUMNS):
                # A short row (wrong column count) is written as read, padded to the header.
                values = values + [""] * (len(self._header) - len(values))
            else:
                values = [values[i] if i < len(values) else "" for i in self._keep]
            self._writer.writerow([*values, raw.line, reason])
        else:
            if isinstance(raw.values, dict):
                record = {**without_private_keys(raw.values), "_line": raw.line, "_reason": reason}
            else:
                record = {"_line": raw.line, "_reason": reason, "_raw": raw.values}
            self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


class _Progress:
    """tqdm with rows as the unit (rate and ETA), or nothing."""

    def __init__(self, total: int | None, enabled: bool, stream):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, unit="행", unit_scale=True, file=stream, mininterval=0.5, smoothing=0.1
            )
        self.pending = 0

    def tick(self, stats: ImportStats, force: bool = False) -> None:
        if self.bar is None:
            return
        self.pending += 1
        if force or self.pending >= 500:
            self.bar.update(self.pending)
            self.pending = 0
            self.bar.set_postfix(
                생성=stats.created, 건너뜀=stats.skipped, 거부=stats.rejected, refresh=False
            )

    def close(self, stats: ImportStats) -> None:
        if self.bar is not None:
            self.bar.update(self.pending)
            self.bar.set_postfix(생성=stats.created, 건너뜀=stats.skipped, 거부=stats.rejected)
            self.bar.close()


#: The handler the validation workers use (inherited through fork, never pickled).
_WORKER_HANDLER: RowHandler | None = None


def _prepare_chunk(chunk: list[RawRow]) -> list[Prepared | Reject | None]:
    handler = _WORKER_HANDLER
    out: list[Prepared | Reject | None] = []
    for raw in chunk:
        if raw.error is not None:
            out.append(None)
            continue
        result = handler.prepare(raw)
        if isinstance(result, Prepared):
            result.raw = None  # the parent still has it: do not send it back
        out.append(result)
    return out


def prepared_rows(
    rows: Iterable[RawRow], handler: RowHandler, *, workers: int, chunk: int = 250
) -> Iterator[tuple[RawRow, Prepared | Reject | None]]:
    """(raw row, what ``prepare`` made of it), in file order.

    With ``workers`` > 0 the rows are validated in that many forked processes (validation
    needs no database) while this process writes: a bounded number of chunks is in flight,
    so memory stays flat however long the file is.
    """
    if workers <= 0:
        for raw in rows:
            yield raw, (handler.prepare(raw) if raw.error is None else None)
        return
    import multiprocessing

    global _WORKER_HANDLER
    _WORKER_HANDLER = handler
    pending: deque = deque()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        iterator = iter(rows)
        while True:
            part = list(islice(iterator, chunk))
            if part:
                pending.append((part, pool.apply_async(_prepare_chunk, (part,))))
            if pending and (not part or len(pending) >= workers * 4):
                raws, result = pending.popleft()
                for raw, prepared in zip(raws, result.get(), strict=True):
                    if isinstance(prepared, Prepared):
                        prepared.raw = raw
                    yield raw, prepared
            elif not part:
                return


def run_import(
    rows: Iterable[RawRow],
    handler: RowHandler,
    rejects: RejectsWriter,
    *,
    batch_size: int,
    total: int | None = None,
    progress: bool = True,
    progress_stream=None,
    workers: int = 0,
) -> ImportStats:
    stats = ImportStats()
    # Fork the validation workers before the progress bar starts its monitor thread.
    stream = prepared_rows(rows, handler, workers=workers)
    bar = _Progress(total, progress, progress_stream)
    started = time.perf_counter()
    batch: list[Prepared] = []

    def flush() -> None:
        if not batch:
            return
        try:
            with transaction.atomic():
                outcome = handler.write_batch(batch)
        except BATCH_ERRORS as exc:
            stats.failed_batches += 1
            reason = f"배치 저장 실패 (배치 {len(batch)}행 전체 취소): {_describe(exc)}"
            for item in batch:
                rejects.write(item.raw, reason)
            stats.rejected += len(batch)
        else:
            stats.created += outcome.created
            stats.skipped += len(outcome.skipped)
            for item, reason in outcome.rejected:
                rejects.write(item.raw, reason)
            stats.rejected += len(outcome.rejected)
        batch.clear()
        # With DEBUG on, Django keeps every SQL statement (bulk inserts are long): drop them.
        reset_queries()

    try:
        for raw, prepared in stream:
            stats.read += 1
            if raw.error is not None:
                rejects.write(raw, raw.error)
                stats.rejected += 1
            else:
                if isinstance(prepared, Reject):
                    rejects.write(raw, prepared.reason)
                    stats.rejected += 1
                else:
                    batch.append(prepared)
                    if len(batch) >= batch_size:
                        flush()
            bar.tick(stats)
        flush()
    finally:
        rejects.close()
        bar.close(stats)
        stats.seconds = time.perf_counter() - started
    return stats


def _describe(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:300]


def without_private_keys(data: dict[str, Any]) -> dict[str, Any]:
    """Drop the runner's own columns (``_line``, ``_reason``, ``_raw``) from a re-imported row."""
    return {k: v for k, v in data.items() if not str(k).startswith("_")}


def first_error(errors: dict[str, list[str]]) -> str:
    """{field: [messages]} -> one line for the rejects file."""
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
