"""Reading an uploaded import file as a stream of rows: .xlsx with openpyxl in read-only mode
(constant memory; defusedxml underneath), .xls with xlrd. Vendor errors become InvalidValue."""

from __future__ import annotations

import contextlib
import itertools
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from esign_adapters.spreadsheets.safety import DEFAULT_LIMITS, Limits, check_size, check_xlsx_container, refuse

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
Row = tuple[int, tuple[Any, ...]]


def _trimmed(cells: tuple[Any, ...]) -> list[Any]:
    values = list(cells)
    while values and values[-1] in (None, ""):
        values.pop()
    return values


def file_format(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(_XLSX_MAGIC):
        return "xlsx"
    if head == _XLS_MAGIC:
        return "xls"
    raise refuse("only .xlsx and .xls files are accepted")


class SheetRows:
    """The first sheet of ``path``: ``header`` and an iterator of ``(row number, cells)``.
    Use as a context manager (closes the workbook). Raises InvalidValue for an unsafe, oversized
    or unreadable file — also while iterating (a sheet that lies about its size)."""

    def __init__(self, path: Path, *, limits: Limits = DEFAULT_LIMITS) -> None:
        self.path = Path(path)
        self.limits = limits
        check_size(self.path.stat().st_size, limits)
        self.format = file_format(self.path)
        self._close: Any = None
        self.header: tuple[Any, ...] = ()
        self.total_rows: int | None = None
        self._rows: Iterator[tuple[Any, ...]] = iter(())
        if self.format == "xlsx":
            self._open_xlsx()
        else:
            self._open_xls()

    def _open_xlsx(self) -> None:
        import openpyxl
        from defusedxml import DefusedXmlException

        with self.path.open("rb") as f:
            check_xlsx_container(f, self.limits)
        from openpyxl.utils.exceptions import InvalidFileException

        handle = self.path.open("rb")  # a file object: openpyxl would judge a path by its extension
        try:
            wb = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            ws = wb.worksheets[0]
        except (DefusedXmlException, InvalidFileException, zipfile.BadZipFile, KeyError, IndexError, ValueError,
                OSError, SyntaxError, zlib.error, EOFError, NotImplementedError, RuntimeError, TypeError,
                AttributeError) as exc:
            # SyntaxError: a damaged XML part (lxml/ElementTree); zlib.error, NotImplementedError,
            # RuntimeError: a damaged or unsupported (version, compression, encryption) zip entry;
            # TypeError, AttributeError: openpyxl's deserialisers meeting damaged attributes/elements
            handle.close()
            raise refuse(f"the .xlsx cannot be read: {type(exc).__name__}") from exc

        def close() -> None:
            try:
                wb.close()
            finally:
                handle.close()

        self._close = close
        rows, cols = ws.max_row, ws.max_column
        if rows is not None and rows > self.limits.max_rows + 1:
            close()
            raise refuse(f"the sheet has {rows} rows; at most {self.limits.max_rows} are imported at once")
        if cols is not None and cols > self.limits.max_columns:
            close()
            raise refuse(f"the sheet has {cols} columns; at most {self.limits.max_columns}")
        self.total_rows = None if rows is None else max(rows - 1, 0)
        width = min(cols or self.limits.max_columns, self.limits.max_columns)
        first = next(self._guard(ws.iter_rows(max_row=1, max_col=width, values_only=True), DefusedXmlException), ())
        header = _trimmed(first)
        if len(first) >= self.limits.max_columns and len(header) == len(first):
            close()
            raise refuse(f"the sheet has more than {self.limits.max_columns} columns")
        self._rows = itertools.chain(
            [tuple(header)],
            # max_row given: openpyxl would otherwise stop silently where a lying <dimension> says
            self._guard(ws.iter_rows(min_row=2, max_row=self.limits.max_rows + 2, max_col=max(len(header), 1),
                                     values_only=True), DefusedXmlException),
        )

    def _open_xls(self) -> None:
        import struct

        import xlrd
        from xlrd.compdoc import CompDocError

        try:
            book = xlrd.open_workbook(str(self.path), on_demand=True)
            sheet = book.sheet_by_index(0)
        except (xlrd.XLRDError, CompDocError, struct.error, OSError, ValueError, IndexError, AssertionError, KeyError,
                EOFError) as exc:
            raise refuse(f"the .xls cannot be read: {type(exc).__name__}") from exc
        self._close = book.release_resources
        if sheet.nrows > self.limits.max_rows + 1 or sheet.ncols > self.limits.max_columns:
            book.release_resources()
            raise refuse(f"the sheet is too large ({sheet.nrows} rows, {sheet.ncols} columns)")
        self.total_rows = max(sheet.nrows - 1, 0)
        self._rows = (tuple(sheet.row_values(i)) for i in range(sheet.nrows))

    def _guard(self, rows: Iterator[tuple[Any, ...]], xml_error: type[Exception]) -> Iterator[tuple[Any, ...]]:
        try:
            yield from rows
        except (xml_error, zipfile.BadZipFile, ValueError, KeyError, OSError, EOFError, SyntaxError, zlib.error,
                NotImplementedError, RuntimeError, TypeError, AttributeError) as exc:
            raise refuse(f"the .xlsx cannot be read: {type(exc).__name__}") from exc

    def __enter__(self) -> SheetRows:
        try:
            self.header = tuple(_trimmed(next(self._rows, ())))
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._close is not None:
            with contextlib.suppress(Exception):
                self._close()
            self._close = None

    def __iter__(self) -> Iterator[Row]:
        limit = self.limits.max_rows
        for n, cells in enumerate(self._rows, start=2):
            if n - 1 > limit:
                raise refuse(f"the sheet has more than {limit} rows")
            yield n, cells
