"""/open/seal/apply/used/images and /used/file: photos of the sealed paper made into one PDF, a
docx converted by LibreOffice, a PDF stored as it is; listed in /seal/apply/detail (``usedFiles``)
and on the console's application page with a download link; and the errors, compared with the
sibling endpoints' — over HTTP with x-qys signatures on the real platform (screening subprocess,
built-in and LibreOffice converters, BlobStore, SQL or in-memory database)."""

from __future__ import annotations

import hashlib
import io

import pypdfium2 as pdfium
import test_open_seal_apply as sibling
from http_flows import login
from PIL import Image
from test_open_api import QysClient, contract_pdf, ok

from esign_core.services.commands import AddInternalEnterprise, ChangeSettings
from esign_core.services.integration import CreateApp
from tests.convert.test_office import _docx

world = sibling.world  # the fixture: a device, an app, the platform
_apply = sibling._apply


def _image(fmt: str, color: str, size: tuple[int, int] = (400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def _pages(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def _detail(world, business_id: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return ok(world["api"].get("/seal/apply/detail", businessId=business_id))["result"]  # type: ignore[no-any-return]


def _console_pdf(world, business_id: str, number: int) -> bytes:  # type: ignore[no-untyped-def]
    """The console's detail page links the file; the link downloads it (the caller logged in)."""
    client = world["client"]
    page = client.get(f"/console/physical-seal/applications/{business_id}")
    link = f"/console/physical-seal/applications/{business_id}/used-files/{number}"
    assert page.status_code == 200 and link in page.text, page.text[:500]
    r = client.get(link)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/pdf")
    return r.content


def test_several_images_become_one_pdf_with_a_page_each(world) -> None:  # type: ignore[no-untyped-def]
    business_id = ok(_apply(world))["result"]["id"]
    images = [("images", ("p1.png", _image("PNG", "red"), "image/png")),
              ("images", ("p2.JPG", _image("JPEG", "green"), "image/jpeg")),
              ("images", ("p3.gif", _image("GIF", "blue"), "image/gif")),
              ("images", ("p4.tif", _image("TIFF", "white", (300, 400)), "image/tiff"))]
    ok(world["api"].post_form("/seal/apply/used/images", {"businessId": business_id, "title": "盖章页照片",
                                                          "fileUploadNodeId": "node-7"}, files=images))
    (used,) = _detail(world, business_id)["usedFiles"]
    assert (used["no"], used["title"], used["kind"], used["fileUploadNodeId"], used["pages"]) == (
        1, "盖章页照片", "images", "node-7", 4)
    assert login(world["client"]).status_code in (302, 303)
    pdf = _console_pdf(world, business_id, 1)
    assert len(_pages(pdf)) == 4 and pdf.startswith(b"%PDF")
    assert used["sha256"] == hashlib.sha256(pdf).hexdigest() and used["size"] == len(pdf)


def test_a_docx_is_converted_and_a_pdf_kept_as_it_is(world) -> None:  # type: ignore[no-untyped-def]
    platform = world["platform"]
    platform.handle(ChangeSettings("conversion", {"service": "OFFICE"}))
    business_id = ok(_apply(world))["result"]["id"]
    docx = _docx("Sealed purchase agreement")
    ok(world["api"].post_form("/seal/apply/used/file", {"businessId": business_id, "title": "合同扫描件"},
                              files={"file": ("contract.docx", docx, "application/octet-stream")}))
    original = contract_pdf(pages=3)
    ok(world["api"].post_form("/seal/apply/used/file", {"businessId": business_id, "title": "回执"},
                              files={"file": ("receipt.pdf", original, "application/pdf")}))
    converted, kept = _detail(world, business_id)["usedFiles"]
    assert (converted["kind"], converted["pages"], converted["fileUploadNodeId"]) == ("file", 1, None)
    assert (kept["no"], kept["title"], kept["pages"]) == (2, "回执", 3)
    assert login(world["client"]).status_code in (302, 303)
    page = world["client"].get(f"/console/physical-seal/applications/{business_id}")
    assert "合同扫描件" in page.text and "回执" in page.text
    assert "Sealed purchase agreement" in _pages(_console_pdf(world, business_id, 1))[0]
    assert _console_pdf(world, business_id, 2) == original
    assert kept["sha256"] == hashlib.sha256(original).hexdigest()


def _error(response) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    body = response.json()
    assert body["code"] != 0, body
    return body["code"], body["message"]


def test_the_errors_match_the_sibling_endpoints(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    business_id = ok(_apply(world))["result"]["id"]
    png = ("images", ("p.png", _image("PNG", "red"), "image/png"))
    # An unknown businessId: what /seal/apply/finish answers.
    sibling = _error(api.post_form("/seal/apply/finish", {"businessId": "123456789", "reason": "x"}))
    assert _error(api.post_form("/seal/apply/used/images", {"businessId": "123456789", "title": "t"},
                                files=[png])) == sibling
    assert _error(api.post_form("/seal/apply/used/file", {"businessId": "123456789", "title": "t"},
                                files={"file": ("a.pdf", contract_pdf(), "application/pdf")})) == sibling
    # Types not accepted, named in the message.
    code, message = _error(api.post_form("/seal/apply/used/images", {"businessId": business_id, "title": "t"},
                                         files=[png, ("images", ("notes.txt", b"hello", "text/plain"))]))
    assert code == 1000001 and "notes.txt" in message and "jpg" in message
    code, message = _error(api.post_form("/seal/apply/used/file", {"businessId": business_id, "title": "t"},
                                         files={"file": ("scan.png", _image("PNG", "red"), "image/png")}))
    assert code == 1000001 and "scan.png" in message and "docx" in message
    # No file, no title, a file that is not what its name says, a PDF the screening refuses.
    code, message = _error(api.post_form("/seal/apply/used/images", {"businessId": business_id, "title": "t"}))
    assert code == 1000001 and "images" in message
    code, message = _error(api.post_form("/seal/apply/used/file", {"businessId": business_id, "title": "t"}))
    assert code == 1000001 and "file" in message
    assert _error(api.post_form("/seal/apply/used/images", {"businessId": business_id}, files=[png]))[0] == 1000001
    assert _error(api.post_form("/seal/apply/used/images", {"businessId": business_id, "title": "t"},
                                files=[("images", ("fake.jpg", b"not an image", "image/jpeg"))]))[0] == 1000001
    assert _error(api.post_form("/seal/apply/used/file", {"businessId": business_id, "title": "t"},
                                files={"file": ("bad.pdf", b"%PDF-1.7\ngarbage", "application/pdf")}))[0] == 1000001
    # Larger than the app accepts: the same answer as /seal/apply/images.
    big = [("images", ("big.png", b"\x89PNG" + b"0" * (17 * 1024 * 1024), "image/png"))]
    sibling_big = api.post_form("/seal/apply/images", {"businessId": business_id, "number": "E1001"}, files=big)
    used_big = api.post_form("/seal/apply/used/images", {"businessId": business_id, "title": "t"}, files=big)
    assert used_big.status_code == sibling_big.status_code and _error(used_big) == _error(sibling_big)
    # Nothing was recorded by the refused calls.
    assert _detail(world, business_id)["usedFiles"] == []


def test_an_app_of_another_enterprise_gets_the_siblings_refusal(world) -> None:  # type: ignore[no-untyped-def]
    platform = world["platform"]
    business_id = ok(_apply(world))["result"]["id"]
    platform.handle(AddInternalEnterprise(name="子公司甲", parent_id=world["org"].id, admin_name="赵六",
                                          admin_mobile="13500135000"))
    credentials = platform.handle(CreateApp(name="子公司OA", tenant_name="子公司甲"))
    other = QysClient(world["client"], credentials.app_token, credentials.app_secret)
    sibling = _error(other.post_form("/seal/apply/finish", {"businessId": business_id, "reason": "x"}))
    refused = _error(other.post_form("/seal/apply/used/file", {"businessId": business_id, "title": "t"},
                                     files={"file": ("a.pdf", contract_pdf(), "application/pdf")}))
    assert refused == sibling
    assert _detail(world, business_id)["usedFiles"] == []
