"""Spreadsheet import: any bytes as an uploaded .xlsx/.xls — the reader yields rows or refuses with
InvalidValue("file")."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from esign_adapters.spreadsheets.reading import SheetRows
from esign_core.errors import InvalidValue

_DIR = Path(tempfile.mkdtemp(prefix="esign-fuzz-xlsx-"))


def seeds() -> list[bytes]:
    from esign_core.model.import_rows import SPECS, ImportKind
    from tests.campaign import samples

    return [samples.xlsx([list(SPECS[k].headers), ["x"] * len(SPECS[k].headers)]) for k in ImportKind]


def setup() -> None:
    pass


def one_input(data: bytes) -> None:
    path = _DIR / f"upload-{os.getpid()}.bin"
    path.write_bytes(data)
    try:
        with SheetRows(path) as sheet:
            for _ in sheet:
                pass
    except InvalidValue as exc:
        assert exc.field == "file"
