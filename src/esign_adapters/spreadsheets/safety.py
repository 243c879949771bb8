"""Refuse hostile uploads before a spreadsheet library opens them: zip bombs (uncompressed size
and ratio read from the zip directory, then enforced while streaming), XML entity declarations
(an .xlsx part never has a DTD), oversized sheets."""

from __future__ import annotations

import re
import zipfile
import zlib
from typing import IO

import attrs

from esign_core.errors import InvalidValue


@attrs.frozen
class Limits:
    max_upload_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 500 * 1024 * 1024
    max_ratio: int = 200  # per part over 1 MiB uncompressed
    max_parts: int = 2000
    max_rows: int = 200_000
    max_columns: int = 50


DEFAULT_LIMITS = Limits()
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_PROLOG_SCAN = 64 * 1024


def refuse(message: str) -> InvalidValue:
    return InvalidValue("file", message)


def check_size(size: int, limits: Limits = DEFAULT_LIMITS) -> None:
    if size > limits.max_upload_bytes:
        raise refuse(f"the file is larger than {limits.max_upload_bytes // (1024 * 1024)} MiB")


def check_xlsx_container(stream: IO[bytes], limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise InvalidValue for a zip bomb, a part with a DTD/entity declaration, or a broken zip."""
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError) as exc:
        raise refuse("not a readable .xlsx file (broken zip container)") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_parts:
            raise refuse(f"the .xlsx has more than {limits.max_parts} parts")
        total = sum(i.file_size for i in infos)
        if total > limits.max_uncompressed_bytes:
            raise refuse(f"the .xlsx expands to more than {limits.max_uncompressed_bytes // (1024 * 1024)} MiB "
                         "(zip bomb?)")
        for info in infos:
            if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise refuse(f"the part {info.filename} is compressed more than {limits.max_ratio}:1 (zip bomb?)")
            if info.filename.endswith((".xml", ".rels")):
                _check_prolog(archive, info, limits)


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> None:
    try:
        with archive.open(info) as part:
            head = part.read(_PROLOG_SCAN + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, zlib.error, EOFError, ValueError) as exc:
        raise refuse(f"the part {info.filename} cannot be read") from exc
    if len(head) > info.file_size:
        raise refuse("the .xlsx lies about its sizes (zip bomb?)")
    if _DTD.search(head[:_PROLOG_SCAN]):
        raise refuse(f"the part {info.filename} declares a DTD or XML entities, which spreadsheets never need "
                     "(XML entity attack?)")
