"""How far each worksheet of an .xlsx file reaches, found by scanning its XML, before calamine
loads it.

calamine turns a sheet into a dense grid as large as its used range: a workbook of a few
kilobytes with one cell in A1 and one in XFD1048576 asks for half a terabyte and aborts the
whole process (a Rust allocation failure cannot be caught). So the reader first scans the
sheet XML, streaming, for the largest row and column references, and refuses sheets that
reach too far. The scan takes about half of calamine's own reading time.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
CHUNK = 1 << 20
HOLD = 4 * CHUNK  # the most kept back while waiting for a tag to end
MAX_PART_BYTES = 16 << 20  # workbook.xml and its relations; real ones are a few kilobytes
OFFICE_DOCUMENT = "/officeDocument"


class NotAWorkbook(Exception):
    """The file is not a zip of the shape an .xlsx workbook has."""


@dataclass(frozen=True, slots=True)
class Extent:
    """The last row and column (1-based) that a sheet's cells reach, as exact as the limits
    need (see `_scan`)."""

    rows: int
    columns: int


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_small(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise NotAWorkbook(name) from None
    if info.file_size > MAX_PART_BYTES:
        raise NotAWorkbook(name)
    return zf.read(info)


def _relations(zf: zipfile.ZipFile, rels_name: str, base: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, part name) of one .rels part."""
    root = ElementTree.fromstring(_read_small(zf, rels_name))
    out: dict[str, tuple[str, str]] = {}
    for rel in root:
        if _local(rel.tag) != "Relationship":
            continue
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        out[rel.get("Id") or ""] = (rel.get("Type") or "", posixpath.normpath(part))
    return out


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the zip member holding its XML."""
    root_rels = _relations(zf, "_rels/.rels", "")
    workbook = next(
        (part for kind, part in root_rels.values() if kind.endswith(OFFICE_DOCUMENT)),
        "xl/workbook.xml",
    )
    folder, name = posixpath.split(workbook)
    rels = _relations(zf, posixpath.join(folder, "_rels", f"{name}.rels"), folder)
    root = ElementTree.fromstring(_read_small(zf, workbook))
    parts: dict[str, str] = {}
    for element in root.iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
        if rid in rels and element.get("name"):
            parts[str(element.get("name"))] = rels[rid][1]
    return parts


class _Patterns:
    """The tags of one sheet, spelt with the namespace prefix its root element uses.

    Literal tag names let the regular expression engine skip ahead quickly; the spelling
    every writer uses, `<c r="A1"`, has its own faster patterns.
    """

    def __init__(self, prefix: bytes, row_digits: int) -> None:
        p = re.escape(prefix)
        self.row_tag = re.compile(b"<" + p + rb"row[\s/>]")
        self.row_ref = re.compile(b"<" + p + rb"row\s[^>]*?(?<=\s)r=[\"'](\d+)")
        self.cell_tag = re.compile(b"<" + p + rb"c[\s/>]")
        self.cell_ref = re.compile(b"<" + p + rb"c\s[^>]*?(?<=\s)r=[\"']([A-Za-z]{1,4})(\d+)")
        self.fast_col = re.compile(b"<" + p + rb'c r="([A-Z]{1,3})\d')
        # Only row numbers with at least as many digits as the limit can exceed it.
        self.fast_long_row = re.compile(
            b"<" + p + rb'c r="[A-Z]{1,3}(\d{' + str(row_digits).encode() + rb",})"
        )
        self.c_start = b"<" + prefix + b"c"


def _rows_of(numbers: list[bytes]) -> int:
    return max((int(n) for n in numbers), default=0)


def _scan(stream: IO[bytes], row_limit: int) -> Extent:
    """The largest row and column a cell of the sheet can land on, as calamine counts them:
    a cell's own reference where it has one, otherwise the position after the previous one.

    Exact whenever it matters: `rows` may be an underestimate only while it is at most
    `row_limit` (cell references with fewer digits than the limit are not read one by one).
    """
    max_row = 0
    unnumbered_rows = 0
    max_col = 0
    tail = b""
    patterns: _Patterns | None = None
    while True:
        chunk = stream.read(CHUNK)
        buf = tail + chunk
        if patterns is None:
            root = _ROOT.search(buf)
            if root is None and chunk and len(buf) < HOLD:
                tail = buf
                continue
            prefix = (root.group(1) or b"") if root else b""
            patterns = _Patterns(prefix, len(str(max(row_limit, 1))))
        if chunk:
            # Keep whole rows together (so cells are counted per row) and never split a tag.
            cut = buf.rfind(b"<")
            starts = [m.start() for m in patterns.row_tag.finditer(buf, max(0, len(buf) - CHUNK))]
            if starts and starts[-1] > 0:
                cut = starts[-1]
            if cut <= 0:
                if len(buf) < HOLD:
                    tail = buf
                    continue
                cut = len(buf)  # megabytes inside one tag or text: hold no more of it
            data, tail = buf[:cut], buf[cut:]
        else:
            data, tail = buf, b""
        row_refs = patterns.row_ref.findall(data)
        max_row = max(max_row, _rows_of(row_refs))
        unnumbered_rows += len(patterns.row_tag.findall(data)) - len(row_refs)
        letters = patterns.fast_col.findall(data)
        cell_count = len(letters)
        unreferenced = False
        # Every cell tag starts with "<c"; only when there are more of those than fast matches
        # (the <cols> part, other spellings, or cells without a reference) look closer.
        if data.count(patterns.c_start) > cell_count:
            cell_count = len(patterns.cell_tag.findall(data))
        if cell_count > len(letters):
            refs = patterns.cell_ref.findall(data)
            letters = [x for x, _n in refs]
            max_row = max(max_row, _rows_of([n for _x, n in refs]))
            unreferenced = cell_count > len(refs)
        else:
            max_row = max(max_row, _rows_of(patterns.fast_long_row.findall(data)))
        chunk_cols = max((_column_number(x) for x in set(letters)), default=0)
        if unreferenced:
            # Cells without a reference follow the one before them: bound them by the
            # widest explicit column plus the number of cells in their row.
            chunk_cols += max(
                (len(patterns.cell_tag.findall(seg)) for seg in patterns.row_tag.split(data)),
                default=0,
            )
        max_col = max(max_col, chunk_cols)
        if not chunk:
            break
    return Extent(rows=max_row + unnumbered_rows, columns=max_col)


def sheet_extents(path: Path, names: list[str], *, row_limit: int) -> dict[str, Extent]:
    """The extent of each named sheet (see `_scan` for `row_limit`); NotAWorkbook when the
    file's structure is broken."""
    try:
        with zipfile.ZipFile(path) as zf:
            parts = sheet_parts(zf)
            out: dict[str, Extent] = {}
            for name in names:
                part = parts.get(name)
                if part is None:
                    raise NotAWorkbook(name)
                try:
                    with zf.open(part) as stream:
                        out[name] = _scan(stream, row_limit)
                except KeyError:
                    raise NotAWorkbook(part) from None
            return out
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError, EOFError, ValueError) as exc:
        raise NotAWorkbook(str(exc)) from exc
