"""A Flask application that embeds esign: a web form creates a contract between the platform
enterprise and a person, which the enterprise seals at once; the person then signs it.

Run it (in memory, for a try-out)::

    pip install flask
    flask --app examples/flask_app.py run

or point it at a real installation with ``ESIGN_DATA_DIR=/srv/esign-data``.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

import esign

FORM = """<!doctype html><meta charset="utf-8"><title>New contract</title>
<h1>New contract</h1>
<form method="post" action="/contracts" enctype="multipart/form-data">
  <label>Subject <input name="subject" required></label><br>
  <label>Counterparty <input name="name" required></label><br>
  <label>Mobile <input name="mobile" required></label><br>
  <label>PDF <input type="file" name="file" accept="application/pdf" required></label><br>
  <button>Create and send</button>
</form>"""


def open_demo_platform() -> esign.EsignPlatform:
    """In memory, activated, with a company seal its administrator may use."""
    platform = esign.open_platform(memory=True)
    platform.initialize(platform_name="示例集团有限公司", platform_uscc="91350100M000100Y43",
                        platform_admin_name="张三", platform_admin_mobile="13800138000",
                        admin_username="admin", admin_password="Passw0rd2026")
    platform.create_seal(authorize_member_ids=[m.id for m in platform.members()])
    return platform


def create_app(platform: esign.EsignPlatform | None = None) -> Flask:
    if platform is None:
        data_dir = os.environ.get("ESIGN_DATA_DIR")
        platform = esign.open_platform(data_dir) if data_dir else open_demo_platform()
    app = Flask(__name__)
    company = platform.platform_enterprise()  # NotFoundError when the platform is not activated

    @app.errorhandler(esign.EsignError)
    def refused(exc: esign.EsignError) -> tuple[dict[str, Any], int]:
        status = 404 if isinstance(exc, esign.NotFoundError) else 409 if isinstance(
            exc, esign.InvalidTransition) else 400
        return {"code": exc.code, "message": exc.message, "fields": exc.fields}, status

    @app.get("/")
    def form() -> str:
        return FORM

    @app.post("/contracts")
    def create() -> BaseResponse:
        upload = request.files.get("file")
        if upload is None:
            raise esign.InvalidValue("file", "choose a PDF")
        doc = platform.upload_document(upload.filename or "contract.pdf", upload.read())
        contract_id = platform.create_contract(
            request.form["subject"], documents=[doc], ordinal=True, signatories=[
                esign.SignatorySpec(tenant_type=esign.TenantType.CORPORATE, tenant_name=company,
                                    serial_no=1, actions=(esign.ActionSpec(
                                        type=esign.ActionType.CORPORATE, name="公司盖章", stampers=(
                                            esign.StamperSpec(document_id=doc, type=esign.StamperType.SEAL_CORPORATE,
                                                              position=esign.PagePosition(-1, 0.25, 0.1)),)),)),
                esign.SignatorySpec(tenant_type=esign.TenantType.PERSONAL, tenant_name=request.form["name"],
                                    contact=request.form["mobile"], serial_no=2, actions=(esign.ActionSpec(
                                        type=esign.ActionType.PERSONAL, name="个人签字", stampers=(
                                            esign.StamperSpec(document_id=doc, type=esign.StamperType.SEAL_PERSONAL,
                                                              position=esign.PagePosition(-1, 0.7, 0.1)),)),)),
            ])
        platform.sign_contract_as_company(contract_id)
        return redirect(f"/contracts/{contract_id}", code=303)

    @app.get("/contracts/<int:contract_id>")
    def show(contract_id: int) -> dict[str, Any]:
        view = platform.contract(contract_id)
        c = view.contract
        return {"id": str(c.id), "subject": c.subject, "status": c.status.value,
                "signatories": [{"name": s.tenant_name, "status": s.status.value} for s in c.signatories],
                "documents": [d.title for d in view.documents]}

    @app.get("/contracts/<int:contract_id>/file")
    def download(contract_id: int) -> Response:
        (first, *_rest) = platform.download_contract(contract_id)
        return Response(first.pdf, mimetype="application/pdf")

    return app

