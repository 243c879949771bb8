"""Office files → PDF with LibreOffice headless (the "Office document conversion service").

Each conversion runs ``soffice`` in its own temporary profile (so conversions never share a lock or
a half-written profile), in its own process group (killed whole on timeout), with an environment
that carries nothing of the service's own (no database URL, no secrets)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import attrs

from esign_adapters.convert.pdf_ops import merge_pdfs
from esign_adapters.convert.watermarks import watermark_pdf
from esign_core.errors import InvalidValue
from esign_core.ports.conversion import ConversionError, Watermark, normalize_file_type

OFFICE_TYPES = frozenset({"doc", "docx", "rtf", "xls", "xlsx", "html", "txt"})
MAX_OFFICE_BYTES = 50 * 1024 * 1024
_EXECUTABLES = frozenset({"soffice", "soffice.bin", "soffice.exe", "soffice.com", "libreoffice"})


def _minimal_env(home: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "TMPDIR": home,
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "SAL_USE_VCLPLUGIN": "svp"}


@attrs.frozen
class LibreOfficeConverter:
    """``soffice_path`` is the executable (found on PATH when bare). Raises ConversionError when
    LibreOffice is missing, fails or exceeds ``timeout`` seconds; InvalidValue (``fileType``) for
    a type it does not convert, (``file``) for a file over 50 MiB."""

    soffice_path: str = "soffice"
    timeout: float = 120.0

    def with_path(self, path: str) -> LibreOfficeConverter:
        """This converter using the executable an administrator configured (``office_path``). Only
        an absolute path to a LibreOffice executable is taken, so the setting cannot run anything else."""
        if not path or path == self.soffice_path:
            return self
        p = Path(path)
        if not p.is_absolute() or p.name.lower() not in _EXECUTABLES:
            raise ConversionError("the Office conversion path must be the absolute path of soffice", path=path)
        return attrs.evolve(self, soffice_path=path)

    def executable(self) -> str | None:
        """The resolved executable, or None when LibreOffice is not installed."""
        return shutil.which(self.soffice_path)

    def to_pdf(self, data: bytes, *, file_type: str, title: str) -> bytes:
        file_type = normalize_file_type(file_type)
        if file_type == "pdf":
            return data
        if file_type not in OFFICE_TYPES:
            raise InvalidValue("fileType", f"LibreOffice does not convert {file_type}")
        if len(data) > MAX_OFFICE_BYTES:
            raise InvalidValue("file", "an Office file is at most 50 MiB")
        exe = self.executable()
        if exe is None:
            raise ConversionError(f"LibreOffice ({self.soffice_path}) is not installed on this server; install "
                                  "libreoffice-writer-nogui and libreoffice-calc-nogui or set its path")
        with tempfile.TemporaryDirectory(prefix="esign-soffice-") as tmp:
            work = Path(tmp)
            source = work / f"input.{file_type}"
            source.write_bytes(data)
            (work / "out").mkdir()
            args = [exe, "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
                    f"-env:UserInstallation={(work / 'profile').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(work / "out"), str(source)]
            if file_type == "txt":
                args[-1:-1] = ["--infilter=Text (encoded):UTF8,LF,,,"]
            self._run(args, cwd=work)
            result = work / "out" / "input.pdf"
            if not result.is_file() or result.stat().st_size == 0:
                raise ConversionError("LibreOffice produced no PDF (the file may be corrupt)", file_type=file_type)
            return result.read_bytes()

    def _run(self, args: list[str], *, cwd: Path) -> None:
        try:
            proc = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
                args, cwd=cwd, env=_minimal_env(str(cwd)), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise ConversionError("LibreOffice could not be started", reason=str(exc)) from exc
        try:
            _, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ConversionError(f"LibreOffice took longer than {self.timeout:g} s", timeout=self.timeout) from exc
        if proc.returncode != 0:
            raise ConversionError("LibreOffice failed", returncode=proc.returncode,
                                  stderr=err.decode("utf-8", "replace")[-500:])

    def merge(self, pdfs: Sequence[bytes]) -> bytes:
        return merge_pdfs(pdfs)

    def watermark(self, pdf: bytes, marks: Sequence[Watermark]) -> bytes:
        return watermark_pdf(pdf, marks)
