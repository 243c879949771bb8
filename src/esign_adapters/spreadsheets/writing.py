"""Workbooks the app hands out: import templates (.xlsx; .xls through LibreOffice, see ADR 0017),
the error workbook of an import, and list exports (.xlsx and CSV) with formula injection
neutralised."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from esign_adapters.spreadsheets.reading import SheetRows
from esign_core.errors import ConfigurationError
from esign_core.model.import_rows import SPECS, ImportKind

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
REASON_HEADER = "错误原因 / reason"
ROW_HEADER = "原行号 / row"


def neutralize(value: Any) -> Any:
    """A cell value safe from spreadsheet formula injection: text starting with = + - @ tab or
    CR gets a leading apostrophe (OWASP CSV injection); other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _workbook(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    bold = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = Font(bold=True)
        bold.append(cell)
    ws.append(bold)
    for row in rows:
        # Every value is written as data: strings never become formulas.
        ws.append([_as_text_cell(ws, neutralize(v)) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _as_text_cell(ws: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # never "f", even for text openpyxl would take for a formula
        return cell
    return value


def template_xlsx(kind: ImportKind) -> bytes:
    """The downloadable template: the header row (required columns marked *) and one example row."""
    spec = SPECS[kind]
    example = [c.example for c in spec.columns]
    return _workbook(spec.headers, [example], title=spec.template_name)


def template_bytes(kind: ImportKind, fmt: str, *, soffice: str = "soffice") -> bytes:
    if fmt == "xlsx":
        return template_xlsx(kind)
    if fmt == "xls":
        return xlsx_to_xls(template_xlsx(kind), soffice=soffice)
    raise ValueError(fmt)


def xlsx_to_xls(data: bytes, *, soffice: str = "soffice", timeout: float = 120.0) -> bytes:
    """Convert with LibreOffice headless (no maintained Python writer of BIFF8 exists; ADR 0017).
    Raises ConfigurationError when LibreOffice is missing or fails."""
    exe = shutil.which(soffice)
    if exe is None:
        raise ConfigurationError("the .xls template needs LibreOffice (soffice) on the server; download the .xlsx "
                                 "template instead — both formats are accepted for upload")
    with tempfile.TemporaryDirectory(prefix="esign-xls-") as tmp:
        work = Path(tmp)
        (work / "t.xlsx").write_bytes(data)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8",
               "SAL_USE_VCLPLUGIN": "svp"}
        args = [exe, "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
                f"-env:UserInstallation={(work / 'profile').as_uri()}", "--convert-to", "xls:MS Excel 97",
                "--outdir", str(work / "out"), str(work / "t.xlsx")]
        try:
            subprocess.run(args, cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True,  # noqa: S603
                           timeout=timeout, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ConfigurationError("LibreOffice could not convert the template to .xls") from exc
        result = work / "out" / "t.xls"
        if not result.is_file():
            raise ConfigurationError("LibreOffice produced no .xls")
        return result.read_bytes()


def error_workbook(source: Path, kind: ImportKind, rejections: Mapping[int, str]) -> bytes:
    """The rejected rows of ``source`` (re-read, streaming) with their row number and reason, so
    they can be corrected and imported again."""
    spec = SPECS[kind]
    width = len(spec.columns)

    def rows() -> Iterable[Sequence[Any]]:
        with SheetRows(source) as sheet:
            for row_no, cells in sheet:
                reason = rejections.get(row_no)
                if reason is not None:
                    padded = list(cells[:width]) + [None] * (width - len(cells[:width]))
                    yield [*padded, row_no, reason]

    return _workbook([*spec.headers, ROW_HEADER, REASON_HEADER], rows(), title="错误数据")


def export_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "export") -> bytes:
    return _workbook(headers, rows, title=title)


def export_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM (Excel opens it as UTF-8), every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralize(h) for h in headers])
    for row in rows:
        writer.writerow(["" if v is None else neutralize(v if isinstance(v, str) else str(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
