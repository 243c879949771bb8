"""Bad input on the directory's batch import (issue 12): any cell values in any of the templates,
and damaged .xlsx/.xls files. The reader refuses what it cannot read with ``InvalidValue("file")``;
the import use case rejects bad rows with a reason per row and never raises anything but
InvalidValue (wrong header) or QuotaExceeded; both stay within time and memory bounds."""

from __future__ import annotations

import io
import math
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esign_adapters.spreadsheets.reading import SheetRows
from esign_core.errors import InvalidValue, QuotaExceeded
from esign_core.model.import_rows import SPECS, ImportKind
from esign_core.services.directory_import import import_directory
from esign_core.testing import InMemoryUnitOfWork, bootstrap_test_bus
from esign_core.testing.fake_directory_sink import InMemoryDirectorySink
from tests.campaign import samples
from tests.campaign.bounds import QUICK, bounded
from tests.unit.conftest import PLATFORM_NAME, make_init_command

_ILLEGAL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"}
text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40).filter(
    lambda t: not _ILLEGAL.intersection(t))
cell = st.one_of(
    st.none(), text, st.sampled_from([PLATFORM_NAME, "13900000001", "91350100M000100Y43", "企业", "部门", "a@b.cn",
                                      "11010519491231002X", " ", "=1+1", "'0001"]),
    st.integers(-(2**63), 2**63), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1)),
)
kinds = st.sampled_from(list(ImportKind))


def _xlsx_safe(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value  # Excel has no NaN/inf


@QUICK
@given(kinds, st.lists(st.lists(cell, max_size=9), max_size=25))
def test_the_import_rejects_bad_rows_with_a_reason_and_never_crashes(kind: ImportKind, rows: list) -> None:  # type: ignore[type-arg]
    platform = bootstrap_test_bus()
    platform.bus.handle(make_init_command(platform))
    numbered = [(i, tuple(r)) for i, r in enumerate(rows, start=2)]
    with bounded(seconds=1.5, peak_bytes=30_000_000):
        try:
            report = import_directory(kind, SPECS[kind].headers, numbered, sink=InMemoryDirectorySink(platform.uow.db),
                                      uow=InMemoryUnitOfWork(platform.uow.db), clock=platform.clock, ids=platform.ids,
                                      atomic=False)
        except QuotaExceeded:
            return
    blank = sum(1 for _, r in numbered if not any(str(c).strip() for c in r if c is not None))
    assert all(isinstance(reason, str) and reason for reason in report.rejections.values())
    assert report.rows == len(rows) - blank, report


@QUICK
@given(kinds, st.lists(st.lists(cell.map(_xlsx_safe), max_size=9), max_size=15))
def test_any_cells_read_back_from_an_xlsx(tmp_path_factory, kind: ImportKind, rows: list) -> None:  # type: ignore[no-untyped-def, type-arg]
    path = tmp_path_factory.mktemp("x") / "upload.xlsx"
    path.write_bytes(samples.xlsx([list(SPECS[kind].headers), *rows]))
    with bounded(seconds=1.5, peak_bytes=30_000_000), SheetRows(path) as sheet:
        assert list(sheet.header) == list(SPECS[kind].headers)
        assert sum(1 for _ in sheet) <= len(rows)


SEED_XLSX = samples.xlsx([list(SPECS[ImportKind.MEMBERS].headers), ["员工", "13900000001", None, None, "E1",
                                                                    PLATFORM_NAME]])


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    choice = draw(st.sampled_from(["bytes", "member", "xls"]))
    if choice == "member":  # a well-formed zip whose parts are damaged
        source = zipfile.ZipFile(io.BytesIO(SEED_XLSX))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                data = bytearray(source.read(info))
                if data and draw(st.booleans()):
                    at = draw(st.integers(0, len(data) - 1))
                    data[at : at + draw(st.integers(0, 50))] = draw(st.binary(max_size=50))
                target.writestr(info.filename, bytes(data))
        return out.getvalue()
    data = bytearray(SEED_XLSX if choice == "bytes" else b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(data) - 1))
        data[at : at + draw(st.integers(0, 30))] = draw(st.binary(max_size=30))
    return bytes(data)


@QUICK
@given(damaged())
def test_a_damaged_file_is_refused_not_crashed_on(tmp_path_factory, data: bytes) -> None:  # type: ignore[no-untyped-def]
    path: Path = tmp_path_factory.mktemp("d") / "upload.bin"
    path.write_bytes(data)
    with bounded(seconds=1.5, peak_bytes=60_000_000):
        try:
            with SheetRows(path) as sheet:
                for _ in sheet:
                    pass
        except InvalidValue as exc:
            assert exc.field == "file" and exc.message


REGRESSIONS = Path(__file__).parent / "regressions"


@pytest.mark.parametrize("name", sorted(p.name for p in REGRESSIONS.glob("xlsx-*.bin")))
def test_files_found_by_the_fuzzer_are_refused(tmp_path: Path, name: str) -> None:
    """Inputs atheris found (corrupt deflate data, an undecodable part name) once escaped as
    zlib.error / UnicodeDecodeError instead of a refusal."""
    path = tmp_path / "upload.xlsx"
    path.write_bytes((REGRESSIONS / name).read_bytes())
    with pytest.raises(InvalidValue) as refused:
        with SheetRows(path) as sheet:
            list(sheet)
    assert refused.value.field == "file"
