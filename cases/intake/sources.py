"""Reading import files as a stream of rows: CSV or JSON Lines, UTF-8 or CP949.

Nothing here holds more than one row (and one line) in memory: the file is read line by line
in binary, each line decoded on its own, so a line in a wrong encoding rejects that row only
and the rest of the file still imports. The encoding is decided once, from every non-ASCII
line of the file: UTF-8 (with or without BOM) or CP949 (EUC-KR); anything else (UTF-16,
binary data, Latin-1...) stops the import with a Korean message before a single row is
written. A rejected line keeps its original text in the rejects file (never U+FFFD).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cases.intake import jsonsafe

SAMPLE_BYTES = 1 << 20
#: Share of the file's non-ASCII lines that may fail to decode in the file's encoding.
MAX_BROKEN_LINES = 0.01
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "cp949": "cp949",
    "euc-kr": "cp949",
    "euckr": "cp949",
}
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class SourceError(Exception):
    """The file cannot be imported at all (format, encoding, header): nothing was written."""


@dataclass
class RawRow:
    """One row as read: ``data`` (column -> value) or ``error`` (why it cannot be read).

    ``line`` is the file's 1-based line number where the row starts; ``values`` the CSV cells
    (or the JSON object) as read, for the rejects file.
    """

    line: int
    data: dict[str, Any] | None = None
    values: Any = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def file_format(path: Path, requested: str = "auto") -> str:
    if requested != "auto":
        if requested not in ("csv", "jsonl"):
            raise SourceError(f"지원하지 않는 형식입니다: {requested} (csv 또는 jsonl)")
        return requested
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise SourceError(
            f"파일 형식을 알 수 없습니다: {path.name} (.csv 또는 .jsonl 파일, 또는 --format)"
        ) from None


def detect_encoding(path: Path, requested: str = "auto") -> str:
    """The Python codec to read ``path`` with: ``utf-8-sig`` or ``cp949``."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in sample:
        raise SourceError(
            "UTF-16 등 지원하지 않는 인코딩(또는 바이너리 파일)입니다. "
            "UTF-8 또는 CP949(EUC-KR)로 저장한 파일을 가져와 주세요."
        )
    if requested != "auto":
        try:
            codec = ENCODINGS[requested.lower()]
        except KeyError:
            raise SourceError(
                f"지원하지 않는 인코딩입니다: {requested} (UTF-8 또는 CP949만 가능)"
            ) from None
        return "utf-8-sig" if codec == "utf-8" else codec
    # Judged line by line over the whole file (a file that is ASCII for its first MiB and
    # Korean after it is still CP949): a pure-ASCII line reads the same in both encodings and
    # says nothing, so only lines with other bytes count. A file in one of the two encodings
    # with a stray broken line keeps its encoding (that row is rejected later, its text kept
    # in the rejects file); a file that is neither is refused.
    for codec in ("utf-8", "cp949"):
        judged = failures = 0
        with path.open("rb") as handle:
            for line in handle:
                if line.isascii():
                    continue
                judged += 1
                try:
                    line.decode(codec)
                except UnicodeDecodeError:
                    failures += 1
        if failures <= judged * MAX_BROKEN_LINES:
            return "utf-8-sig" if codec == "utf-8" else codec
    raise SourceError(
        "파일 인코딩을 알 수 없습니다: UTF-8 또는 CP949(EUC-KR)로 저장한 파일만 가져올 수 있습니다."
    )


def count_lines(path: Path) -> int:
    """Lines in the file (for the progress bar's total), read in 1 MiB blocks."""
    count = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(SAMPLE_BYTES):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (0 if last == b"\n" else 1)


def original_text(raw: bytes, encoding: str) -> str:
    """A line that does not decode in the file's encoding, as the rejects file keeps it: read
    in the other supported encoding when it is in that one (a CP949 line in a UTF-8 file),
    else with each undecodable byte as ``\\xNN`` (never U+FFFD, which loses the byte)."""
    for codec in ("utf-8", "cp949"):
        if codec != encoding.replace("-sig", ""):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                pass
    return raw.decode(encoding, errors="backslashreplace")


class _Lines:
    """Decoded lines of a binary file; remembers which ones did not decode."""

    def __init__(self, handle, encoding: str):
        self.handle = handle
        self.encoding = encoding
        self.number = 0
        self.bad: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self.handle:
            self.number += 1
            encoding = self.encoding if first else self.encoding.replace("-sig", "")
            first = False
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError:
                self.bad.add(self.number)
                yield original_text(raw, encoding)


ENCODING_ERROR = "인코딩 오류: UTF-8/CP949로 읽을 수 없는 글자가 있습니다."


def csv_rows(path: Path, encoding: str) -> tuple[list[str], Iterator[RawRow]]:
    """The header (column names) and the rows of a CSV file."""
    handle = path.open("rb")
    lines = _Lines(handle, encoding)
    reader = csv.reader(iter(lines))
    try:
        header = next(reader)
    except StopIteration:
        handle.close()
        raise SourceError("빈 파일입니다 (머리행이 없습니다).") from None
    except csv.Error as exc:
        handle.close()
        raise SourceError(f"CSV 머리행을 읽을 수 없습니다: {exc}") from exc
    if 1 in lines.bad:
        handle.close()
        raise SourceError(ENCODING_ERROR + " (머리행)")
    header = [name.strip() for name in header]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        handle.close()
        raise SourceError(f"머리행에 같은 열이 두 번 있습니다: {', '.join(duplicates)}")

    def rows() -> Iterator[RawRow]:
        with handle:
            end = lines.number
            while True:
                start = end + 1
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    end = lines.number
                    yield RawRow(line=start, values=[], error=f"CSV 형식 오류: {exc}")
                    continue
                end = lines.number
                if not values or values == [""]:
                    continue  # blank line
                if any(n in lines.bad for n in range(start, end + 1)):
                    yield RawRow(line=start, values=values, error=ENCODING_ERROR)
                elif len(values) != len(header):
                    yield RawRow(
                        line=start,
                        values=values,
                        error=f"열 개수가 머리행과 다릅니다 ({len(values)}개, 머리행 {len(header)}개).",
                    )
                else:
                    yield RawRow(
                        line=start, data=dict(zip(header, values, strict=True)), values=values
                    )

    return header, rows()


def jsonl_rows(path: Path, encoding: str) -> Iterator[RawRow]:
    """The rows of a JSON Lines file (one JSON object per line; blank lines skipped)."""
    with path.open("rb") as handle:
        lines = _Lines(handle, encoding)
        for text in lines:
            number = lines.number
            if not text.strip():
                continue
            if number in lines.bad:
                yield RawRow(line=number, values=text.rstrip("\r\n"), error=ENCODING_ERROR)
                continue
            try:
                value = jsonsafe.loads(text)  # too deep: a ValueError, this row only
            except ValueError as exc:
                yield RawRow(
                    line=number, values=text.rstrip("\r\n"), error=f"JSON 형식 오류: {exc}"
                )
                continue
            if not isinstance(value, dict):
                yield RawRow(
                    line=number,
                    values=text.rstrip("\r\n"),
                    error="한 줄에 JSON 객체 하나여야 합니다.",
                )
                continue
            yield RawRow(line=number, data=value, values=value)
