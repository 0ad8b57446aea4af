"""An append-only JSON-lines journal shared by processes, keyed by idempotency key.

It is the stand-in for a provider that honours idempotency keys (an SMS provider, a bank's
firm-banking API): the first request with a key is executed and journaled, a later request
with the same key is answered with the first one's result and executes nothing. Every process
on the machine (web, workers, a test, the chaos bench) sees the same file, so "sent exactly
once" can be counted at the provider's side, not only in KMCS's own tables.

Each journal keeps a sidecar ``<path>.duplicates`` with one line per refused repeat, so the
number of repeats a crash caused is visible too.

Concurrency: every read-check-append happens under an exclusive ``flock`` of the journal; each
process keeps the keys it has read and the file offset it read them up to, so a request reads
only what other processes appended since (not the whole file).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from threading import Lock
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: one process writes at a time anyway
    fcntl = None

Entry = dict[str, Any]

#: path -> (inode, offset read up to, {key: first entry}); per process.
_seen: dict[str, tuple[int, int, dict[str, Entry]]] = {}
_seen_lock = Lock()


class KeyedJournal:
    def __init__(self, path: str | Path, *, key_field: str = "idempotency_key"):
        self.path = Path(path)
        self.key_field = key_field

    @property
    def duplicates_path(self) -> Path:
        return self.path.with_name(self.path.name + ".duplicates")

    # --- writing ---------------------------------------------------------------------------------

    def record(self, key: str, make_entry: Callable[[], Entry]) -> tuple[Entry, bool]:
        """Journal ``make_entry()`` under ``key`` unless the key is there already.

        Returns ``(entry, True)`` for a first request, ``(first entry, False)`` for a repeat
        (the repeat is noted in the duplicates sidecar). ``OSError`` propagates: the caller
        decides whether it is worth a retry.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab+") as fh:
            self._lock(fh)
            try:
                known = self._refresh(fh)
                if key in known:
                    self._note_duplicate(key)
                    return known[key], False
                entry = make_entry()
                entry[self.key_field] = key
                data = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
                self._remember(fh, key, entry, len(data))
                return entry, True
            finally:
                self._unlock(fh)

    def _note_duplicate(self, key: str) -> None:
        line = json.dumps({self.key_field: key, "pid": os.getpid()}) + "\n"
        with self.duplicates_path.open("a", encoding="utf-8") as fh:
            fh.write(line)

    # --- reading ---------------------------------------------------------------------------------

    def lookup(self, key: str) -> Entry | None:
        """The entry journaled under ``key``, or None if no request with it arrived."""
        if not self.path.exists():
            return None
        with self.path.open("rb") as fh:
            self._lock(fh)
            try:
                return self._refresh(fh).get(key)
            finally:
                self._unlock(fh)

    def entries(self) -> list[Entry]:
        """Every line, in order (for counting; reads the whole file)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def duplicates(self) -> list[Entry]:
        if not self.duplicates_path.exists():
            return []
        with self.duplicates_path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    # --- plumbing ----------------------------------------------------------------------------------

    @staticmethod
    def _lock(fh) -> None:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_EX)

    @staticmethod
    def _unlock(fh) -> None:
        if fcntl is not None:
            fcntl.flock(fh, fcntl.LOCK_UN)

    def _refresh(self, fh) -> dict[str, Entry]:
        """Read what was appended since this process last looked (under the lock)."""
        stat = os.fstat(fh.fileno())
        name = str(self.path.resolve())
        with _seen_lock:
            inode, offset, known = _seen.get(name, (stat.st_ino, 0, {}))
            if inode != stat.st_ino or offset > stat.st_size:  # replaced or truncated
                inode, offset, known = stat.st_ino, 0, {}
            fh.seek(offset)
            data = fh.read()
            complete = data.rfind(b"\n") + 1  # a torn last line is read once it is whole
            for line in data[:complete].splitlines():
                if line.strip():
                    entry = json.loads(line)
                    known.setdefault(entry.get(self.key_field), entry)
            _seen[name] = (inode, offset + complete, known)
            return known

    def _remember(self, fh, key: str, entry: Entry, size: int) -> None:
        name = str(self.path.resolve())
        with _seen_lock:
            inode, offset, known = _seen[name]
            known[key] = entry
            _seen[name] = (inode, offset + size, known)
