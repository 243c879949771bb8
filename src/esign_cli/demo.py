"""``esign demo``: fill a fresh installation with real activity (enterprises, categories, apps, seals
and contracts in every end state, each signature real) so that every console page — statistics,
certificates, evidence, logs — shows data. Safe to repeat: each run adds one more batch."""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

import esign
from esign_cli.context import load_platform, load_settings
from esign_core.errors import AlreadyExists
from esign_core.services.categories import CreateCategory
from esign_core.services.commands import AddInternalEnterprise
from esign_core.services.contract_ending import ExpireContracts, RecallContract, RejectContract, VoidContract
from esign_core.services.integration import CreateApp

PLATFORM = "演示科技有限公司"
PLATFORM_USCC = "91350100M000100Y43"
SUBSIDIARY = "演示科技（上海）有限公司"
CATEGORIES = ("采购合同", "销售合同", "劳动合同")
APPS = ("ERP", "CRM", "HR")
PEOPLE = (("王五", "13900139002", "11010519491231002X"), ("赵六", "13900139003", "110101199001010015"),
          ("孙七", "13900139004", "310104198512120023"))


def _contract_pdf(title: str, n: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("STSong-Light", 18)
    c.drawString(72, 760, f"{title}（演示 No.{n}）")
    c.setFont("STSong-Light", 11)
    for i, line in enumerate(("甲方与乙方经友好协商，订立本合同。", "本合同为 esign demo 生成的演示数据。",
                              "甲方（盖章）：", "乙方（签字）：")):
        c.drawString(72, 720 - 24 * i, line)
    c.showPage()
    c.save()
    return buf.getvalue()


def _ensure_vendor_key(data_dir: Path) -> Path | None:
    """A demo-only licence key pair under the data directory, when the installation has no vendor
    public key yet (a real one comes from the vendor)."""
    from esign_adapters.licensing import generate_vendor_keys

    if (data_dir / "licence-vendor.pub").exists():
        return None
    key_dir = data_dir / "demo-vendor"
    key_dir.mkdir(parents=True, exist_ok=True)
    priv, pub = generate_vendor_keys(key_dir)
    (data_dir / "licence-vendor.pub").write_bytes(Path(pub).read_bytes())
    return Path(priv)


def _two_party(doc: int, person: tuple[str, str, str], company: str) -> list[esign.SignatorySpec]:
    return [
        esign.SignatorySpec(tenant_type=esign.TenantType.CORPORATE, tenant_name=company, serial_no=1, actions=(
            esign.ActionSpec(type=esign.ActionType.CORPORATE, name="甲方盖章", stampers=(
                esign.StamperSpec(document_id=doc, type=esign.StamperType.SEAL_CORPORATE,
                                  position=esign.PagePosition(1, 0.3, 0.55)),)),)),
        esign.SignatorySpec(tenant_type=esign.TenantType.PERSONAL, tenant_name=person[0], serial_no=2,
                            contact=person[1], actions=(
            esign.ActionSpec(type=esign.ActionType.PERSONAL, name="乙方签字", stampers=(
                esign.StamperSpec(document_id=doc, type=esign.StamperType.SEAL_PERSONAL,
                                  position=esign.PagePosition(1, 0.3, 0.45)),)),)),
    ]


@click.command("demo")
@click.option("--contracts", type=click.IntRange(6, 500), default=18, show_default=True,
              help="How many contracts to create (spread over every end state).")
@click.option("--admin-password", default=None, help="Console password of `admin` on a fresh install "
              "(default: a random one, printed).")
@click.pass_context
def demo(ctx: click.Context, contracts: int, admin_password: str | None) -> None:
    """Fill this installation with demonstration data (activating it first if it is new)."""
    from esign_adapters.licensing import issue_licence
    from esign_core.model.installation import Quotas

    settings = load_settings(ctx)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    core = load_platform(ctx)
    core.migrate()
    platform = esign.EsignPlatform(core)
    try:
        if not platform.is_initialized():
            priv = _ensure_vendor_key(settings.data_dir)
            if priv is None:
                raise click.UsageError("this installation is not activated and has its own vendor key: "
                                       "run `esign init` (or the wizard) first, then `esign demo`")
            core = load_platform(ctx)  # re-read the settings: the public key is there now
            platform = esign.EsignPlatform(core)
            now = datetime.now(UTC)
            code = issue_licence(priv.read_bytes(), product_code=platform.product_code, licensee="esign demo",
                                 expires_at=now + timedelta(days=365), issued_at=now - timedelta(minutes=1),
                                 quotas=Quotas())
            password = admin_password or f"Demo-{secrets.randbelow(10**6):06d}-{secrets.token_urlsafe(6)}"
            platform.initialize(licence_code=code, platform_name=PLATFORM, platform_uscc=PLATFORM_USCC,
                                platform_admin_name="张三", platform_admin_mobile="13800138000",
                                admin_username="admin", admin_password=password)
            click.echo(f"activated: console user admin / {password}")
        _populate(core, platform, contracts)
    finally:
        platform.close()


def _populate(core: object, platform: esign.EsignPlatform, total: int) -> None:
    handle = core.handle  # type: ignore[attr-defined]
    company = platform.platform_enterprise()
    with core.uow() as uow:  # type: ignore[attr-defined]
        platform_org = uow.organizations.platform()
    try:
        handle(AddInternalEnterprise(name=SUBSIDIARY, parent_id=platform_org.id, admin_name="李四",
                                     admin_mobile="13800138001"))
    except AlreadyExists:
        pass
    for name in CATEGORIES:
        try:
            handle(CreateCategory(name=name))
        except AlreadyExists:
            pass
    for name in APPS:
        try:
            handle(CreateApp(name=name))
        except AlreadyExists:
            pass
    admin = platform.members(company)[0]
    if not platform.seals(company):
        platform.create_seal(authorize_member_ids=[admin.id])
    states = ("complete", "complete", "complete", "signing", "rejected", "recalled", "expired", "voided")
    counts: dict[str, int] = {}
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    with click.progressbar(range(total), label="demo contracts") as bar:
        for i in bar:
            state = states[i % len(states)]
            person = PEOPLE[i % len(PEOPLE)]
            category = CATEGORIES[i % len(CATEGORIES)]
            doc = platform.upload_document(category, _contract_pdf(category, i + 1))
            expire = datetime.now(UTC) + (timedelta(seconds=2) if state == "expired" else timedelta(days=30))
            cid = platform.create_contract(f"{category} {stamp}-{i + 1}", documents=[doc],
                                           signatories=_two_party(doc, person, company), ordinal=True,
                                           biz_id=f"demo-{stamp}-{i + 1}", category_name=category,
                                           expire_time=expire)
            if state in ("complete", "signing", "voided", "rejected"):
                platform.sign_contract_as_company(cid)
            if state in ("complete", "voided"):
                platform.sign_contract_as_person(cid, name=person[0], contact=person[1], id_number=person[2])
            if state == "rejected":
                view = platform.contract(cid)
                handle(RejectContract(contract_id=cid, signatory_id=view.contract.signatories[1].id,
                                      reason="金额有误"))
            elif state == "recalled":
                handle(RecallContract(contract_id=cid, reason="条款需修改"))
            elif state == "voided":  # the void statement: sealed for the sponsor, then signed by the person
                handle(VoidContract(contract_id=cid, reason="双方协商作废", by_member_id=admin.id))
                platform.sign_contract_as_person(cid, name=person[0], contact=person[1], id_number=person[2])
            counts[state] = counts.get(state, 0) + 1
    if counts.get("expired"):
        import time

        time.sleep(2.5)
        handle(ExpireContracts())
    click.echo("demo data: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    click.echo("next: `esign serve` and open http://127.0.0.1:9181 (统计、证书、存证、日志 pages show this data)")
