"""Reading uploads safely and writing the app's workbooks: zip bombs, XML entity attacks and
oversized sheets are refused before or while reading; .xls is read with xlrd; the error workbook
and exports never contain live formulas."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from esign_adapters.spreadsheets.reading import SheetRows
from esign_adapters.spreadsheets.safety import Limits
from esign_adapters.spreadsheets.writing import (
    error_workbook,
    export_csv,
    export_xlsx,
    neutralize,
    template_bytes,
    template_xlsx,
)
from esign_core.errors import InvalidValue
from esign_core.model.import_rows import SPECS, ImportKind
from tests.directory.workbooks import filled, sheet_values


def _rewrite(src: Path, dst: Path, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def _sheet_name(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))


def test_templates_have_the_manual_headers_and_read_back(tmp_path: Path) -> None:
    for kind, spec in SPECS.items():
        path = tmp_path / f"{kind.value}.xlsx"
        path.write_bytes(template_xlsx(kind))
        with SheetRows(path) as sheet:
            assert list(sheet.header) == spec.headers
            assert [cells for _, cells in sheet] == [tuple(c.example or None for c in spec.columns)]


def test_a_zip_bomb_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    good = filled(ImportKind.PERSONAL_CONTACTS, [["P1", "甲", "13500000001", None]], tmp_path / "good.xlsx")
    bomb = _rewrite(good, tmp_path / "bomb.xlsx", {}, {"xl/media/padding.xml": b"\0" * (40 * 1024 * 1024)})
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(InvalidValue, match="zip bomb"):
        SheetRows(bomb)
    with pytest.raises(InvalidValue, match="expands to more than"):
        SheetRows(good, limits=Limits(max_uncompressed_bytes=1000))


def test_xml_entities_are_refused(tmp_path: Path) -> None:
    good = filled(ImportKind.PERSONAL_CONTACTS, [["P1", "甲", "13500000001", None]], tmp_path / "good.xlsx")
    name = _sheet_name(good)
    with zipfile.ZipFile(good) as z:
        sheet = z.read(name).decode()
    body = sheet.split("?>", 1)[1] if sheet.startswith("<?xml") else sheet
    xxe = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
           '<!ENTITY lol "lollollol">]>' + body.replace(">甲<", ">&xxe;&lol;<"))
    attack = _rewrite(good, tmp_path / "xxe.xlsx", {name: xxe.encode()})
    with pytest.raises(InvalidValue, match="entit"):
        SheetRows(attack)


def test_oversized_sheets_are_refused(tmp_path: Path) -> None:
    rows = [["P", f"人{i}", f"135{i:08d}", None] for i in range(30)]
    path = filled(ImportKind.PERSONAL_CONTACTS, rows, tmp_path / "rows.xlsx")
    with pytest.raises(InvalidValue, match="rows"):
        SheetRows(path, limits=Limits(max_rows=10))
    # A sheet whose <dimension> lies is stopped while streaming.
    name = _sheet_name(path)
    with zipfile.ZipFile(path) as z:
        xml = z.read(name).decode()
    import re
    liar = _rewrite(path, tmp_path / "liar.xlsx", {name: re.sub(r'<dimension ref="[^"]*"/>',
                                                               '<dimension ref="A1:D2"/>', xml).encode()})
    with pytest.raises(InvalidValue, match="more than 10 rows"), SheetRows(liar, limits=Limits(max_rows=10)) as sheet:
        list(sheet)
    wide = openpyxl.Workbook()
    wide.active.append([f"c{i}" for i in range(80)])
    wide.save(tmp_path / "wide.xlsx")
    with pytest.raises(InvalidValue, match="columns"):
        SheetRows(tmp_path / "wide.xlsx")


def test_other_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(InvalidValue, match="only .xlsx and .xls"):
        SheetRows(tmp_path / "x.csv")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(InvalidValue):
        SheetRows(tmp_path / "broken.xlsx")
    with pytest.raises(InvalidValue, match="larger than"):
        SheetRows(tmp_path / "x.csv", limits=Limits(max_upload_bytes=1))


def test_the_xls_template_made_by_libreoffice_reads_with_xlrd(tmp_path: Path) -> None:
    data = template_bytes(ImportKind.MEMBERS, "xls")
    assert data.startswith(b"\xd0\xcf\x11\xe0")
    path = tmp_path / "members.xls"
    path.write_bytes(data)
    with SheetRows(path) as sheet:
        assert sheet.format == "xls"
        assert list(sheet.header) == SPECS[ImportKind.MEMBERS].headers
        assert len(list(sheet)) == 1


def test_error_workbook_lists_rejected_rows_with_reasons(tmp_path: Path) -> None:
    path = filled(ImportKind.PERSONAL_CONTACTS, [["P1", "甲", "13500000001", None], ["P2", "@SUM(A1)", "bad", None]],
                  tmp_path / "mixed.xlsx")
    rows = sheet_values(error_workbook(path, ImportKind.PERSONAL_CONTACTS, {3: "手机号格式错误"}))
    assert rows[1] == ["P2", "'@SUM(A1)", "bad", None, 3, "手机号格式错误"]


@pytest.mark.parametrize("value", ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_prefixes_are_neutralised(value: str) -> None:
    assert neutralize(value) == "'" + value
    data = export_xlsx(["a"], [[value]])
    cell = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].cell(2, 1)
    assert cell.data_type == "s" and cell.value == "'" + value
    assert export_csv(["a"], [[value]]).decode("utf-8-sig").splitlines()[1].lstrip('"').startswith("'")


def test_plain_values_pass_unchanged() -> None:
    assert neutralize("张三") == "张三" and neutralize(42) == 42 and neutralize(None) is None
