"""Reading uploaded CSV/XLSX files safely, and writing the empty import template.

Defences, in the order they apply:

1. size: the stream is read in chunks and refused past ``settings.import_max_bytes`` (never read whole);
2. XLSX: the zip directory is inspected before openpyxl sees the file — too many members, a total
   unpacked size above ``settings.xlsx_max_uncompressed_bytes`` or a member (above 1 MiB unpacked)
   compressed more than ``settings.xlsx_max_ratio`` times is a zip bomb; a non-zip or a zip without a
   workbook is not an XLSX. Python's zip reader stops at the declared sizes, so they bind openpyxl too;
3. CSV: the encoding is detected (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030, then
   charset-normalizer for the rest); text that does not decode is refused as a whole;
4. rows: more than ``settings.import_max_rows`` data rows are refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import from_bytes

from tianping.core.errors import FileRejected
from tianping.core.settings import Settings, get_settings

__all__ = [
    "XLSX_MAX_MEMBERS",
    "Sheet",
    "check_xlsx_archive",
    "decode_text",
    "parse_csv",
    "parse_xlsx",
    "read_limited",
    "read_sheet",
    "write_rows",
]

XLSX_MAX_MEMBERS = 1_000
_RATIO_CHECK_FROM = 1 << 20  # small members compress extremely well legitimately (styles, empty sheets)
_CHUNK = 1 << 16
# charset-normalizer guesses we trust for tabular text; anything else is treated as undecodable.
_ACCEPTED_GUESSES = {"utf_16", "utf_16_le", "utf_16_be", "utf_32", "big5", "big5hkscs", "cp950"}


@dataclass
class Sheet:
    """A table read from a file: header cells and the non-blank data rows with their row numbers."""

    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def read_limited(stream: BinaryIO, *, max_bytes: int) -> bytes:
    """Read a whole stream, refusing it as soon as it exceeds ``max_bytes``."""
    buf = bytearray()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return bytes(buf)
        buf += chunk
        if len(buf) > max_bytes:
            raise FileRejected(f"文件过大：上限为 {max_bytes / 1024 / 1024:.0f} MB，请拆分后分批导入")


def decode_text(data: bytes) -> str:
    """Decode a CSV export: UTF-8 (BOM or not), UTF-16 with BOM, GB18030 (a superset of GBK), others."""
    if data.startswith(codecs.BOM_UTF8):
        candidates: Sequence[str] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    guess = from_bytes(data[: 1 << 20]).best()
    if guess is not None and guess.encoding in _ACCEPTED_GUESSES:
        try:
            text = data.decode(guess.encoding)
        except UnicodeDecodeError:
            text = ""
        if text and "\x00" not in text:
            return text
    raise FileRejected("无法识别文件编码：请将文件另存为 UTF-8 或 GBK 编码的 CSV，或 XLSX 格式")


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _collect(rows: Iterable[tuple[int, list[str]]], *, max_rows: int) -> Sheet:
    header: list[str] | None = None
    header_row = 0
    sheet = Sheet(header_row=0, headers=[])
    for number, cells in rows:
        if not any(cells):
            continue
        if header is None:
            header, header_row = cells, number
            continue
        sheet.rows.append((number, cells))
        if len(sheet.rows) > max_rows:
            raise FileRejected(f"数据行过多：一次最多导入 {max_rows} 行，请拆分后分批导入")
    if header is None:
        raise FileRejected("文件为空：没有表头行")
    sheet.header_row, sheet.headers = header_row, header
    return sheet


def parse_csv(data: bytes, *, max_rows: int) -> Sheet:
    text = decode_text(data)
    delimiter = _sniff_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        numbered = (
            (number, [cell.strip() for cell in cells]) for number, cells in enumerate(reader, start=1)
        )
        return _collect(numbered, max_rows=max_rows)
    except csv.Error as exc:
        raise FileRejected(f"CSV 格式错误：{exc}") from None


def check_xlsx_archive(data: bytes, settings: Settings) -> None:
    """Zip-bomb and format guard, run before openpyxl touches the file."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRejected("不是有效的 XLSX 文件（文件已损坏或不是 Excel 2007 及以上格式）") from None
    if len(members) > XLSX_MAX_MEMBERS:
        raise FileRejected(f"XLSX 文件结构异常：包含 {len(members)} 个内部文件，已拒绝")
    total = sum(m.file_size for m in members)
    if total > settings.xlsx_max_uncompressed_bytes:
        raise FileRejected(
            f"XLSX 文件解压后过大（{total / 1024 / 1024:.0f} MB，上限 "
            f"{settings.xlsx_max_uncompressed_bytes / 1024 / 1024:.0f} MB），疑似压缩炸弹，已拒绝"
        )
    for member in members:
        if member.file_size >= _RATIO_CHECK_FROM and member.file_size > settings.xlsx_max_ratio * max(
            member.compress_size, 1
        ):
            raise FileRejected("XLSX 文件压缩比异常，疑似压缩炸弹，已拒绝")
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRejected("不是有效的 XLSX 文件：缺少工作簿内容")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def parse_xlsx(data: bytes, *, settings: Settings) -> Sheet:
    check_xlsx_archive(data, settings)
    from openpyxl import load_workbook  # imported late: only XLSX imports pay for it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                sheet.reset_dimensions()  # do not trust the declared range
                numbered = (
                    (number, [_cell_text(v) for v in row])
                    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
                )
                return _collect(numbered, max_rows=settings.import_max_rows)
            finally:
                workbook.close()
    except FileRejected:
        raise
    except Exception:  # openpyxl raises many kinds on corrupt content (KeyError, XML errors, ...)
        raise FileRejected("XLSX 文件已损坏或格式不正确，无法读取") from None


def read_sheet(source: bytes | BinaryIO | Path, *, filename: str, settings: Settings | None = None) -> Sheet:
    """Read an uploaded CSV or XLSX (by name or content) into a :class:`Sheet`, with every guard."""
    settings = settings or get_settings()
    if isinstance(source, Path):
        size = source.stat().st_size
        if size > settings.import_max_bytes:
            raise FileRejected(
                f"文件过大：上限为 {settings.import_max_bytes / 1024 / 1024:.0f} MB，请拆分后分批导入"
            )
        with source.open("rb") as stream:
            data = read_limited(stream, max_bytes=settings.import_max_bytes)
    elif isinstance(source, bytes | bytearray):
        if len(source) > settings.import_max_bytes:
            raise FileRejected(
                f"文件过大：上限为 {settings.import_max_bytes / 1024 / 1024:.0f} MB，请拆分后分批导入"
            )
        data = bytes(source)
    else:
        data = read_limited(source, max_bytes=settings.import_max_bytes)
    if not data.strip():
        raise FileRejected("文件为空")
    suffix = Path(filename).suffix.lower()
    if suffix == ".xls":
        raise FileRejected("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 或 CSV")
    if suffix == ".xlsx" or data[:4] == b"PK\x03\x04":
        return parse_xlsx(data, settings=settings)
    if suffix not in ("", ".csv", ".txt", ".tsv"):
        raise FileRejected(f"不支持的文件类型：{suffix}（请上传 CSV 或 XLSX）")
    return parse_csv(data, max_rows=settings.import_max_rows)


def write_rows(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    sheet_title: str = "Sheet1",
    notes: Sequence[Sequence[object]] | None = None,
) -> None:
    """Write rows to ``.xlsx`` (with an optional second sheet of notes) or ``.csv`` (UTF-8 with BOM)."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(sheet_title)
        for row in rows:
            sheet.append(list(row))
        if notes:
            extra = workbook.create_sheet("填写说明")
            for row in notes:
                extra.append(list(row))
        workbook.save(path)
        return
    if path.suffix.lower() != ".csv":
        raise FileRejected(f"不支持的文件类型：{path.suffix}（请使用 .xlsx 或 .csv）")
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
