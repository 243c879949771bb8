"""Filling the app's own templates, as an administrator would."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import openpyxl

from esign_adapters.spreadsheets.writing import template_xlsx
from esign_core.model.import_rows import ImportKind


def filled(kind: ImportKind, rows: Sequence[Sequence[object]], path: Path, *, template: bytes | None = None) -> Path:
    """The downloaded template with its example row replaced by ``rows``."""
    wb = openpyxl.load_workbook(io.BytesIO(template or template_xlsx(kind)))
    ws = wb.worksheets[0]
    ws.delete_rows(2, ws.max_row)
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def sheet_values(data: bytes) -> list[list[object]]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
