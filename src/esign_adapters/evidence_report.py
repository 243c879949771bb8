"""The evidence report of a contract (存证报告, manual 三.1.3) as a PDF, drawn with reportlab.

Chinese text is set in the kai face shipped in :mod:`esign_adapters.fonts` (a TrueType subset of
GB 2312 plus name characters), embedded as a subset with a ToUnicode map: the report shows and
copies Chinese on a machine without any CJK font. A character outside the subset (a rare name
character) falls back to reportlab's ``STSong-Light``, an Adobe-GB1 font that is referenced, not
embedded: the text stays extractable and readers with Chinese support draw it.

Times are shown in Beijing time (UTC+8); hashes in full, since they are what a verifier compares.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from esign_adapters import fonts
from esign_core.errors import InvalidValue
from esign_core.model.contract import CONTRACT_STATUS_LABELS, ContractStatus
from esign_core.services.evidence import ContractEvidence, EvidenceVerification

BEIJING = timezone(timedelta(hours=8), "UTC+8")
FALLBACK_FONT = "STSong-Light"
MAX_DETAIL = 400

_TENANT = {"CORPORATE": "平台方", "INNER_COMPANY": "内部企业", "COMPANY": "外部企业", "PERSONAL": "个人"}
_SIGNATORY = {"DRAFT": "未开始", "SIGNING": "签署中", "COMPLETE": "已完成"}
_ACTION_STATUS = {"WAITING": "待签署", "SIGNING": "签署中", "SIGNED": "已签署", "REJECTED": "已退回",
                  "DISCARDED": "已作废", "FINISHED": "已结束"}
_ACTION_TYPE = {"CORPORATE": "企业签章", "PERSONAL": "个人签字", "LP": "法定代表人", "AUDIT": "审批",
                "OPERATOR": "经办人签字"}


_reportlab_to_unicode_cmap = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap writes each code point as ``<%04X>``, so a character beyond
    the BMP (U+2003E, a rare name character set in a host font) comes out as five hex digits and
    text extraction reads garbage. Write those as UTF-16BE surrogate pairs, as the PDF
    specification wants; BMP entries are unchanged."""
    cmap = _reportlab_to_unicode_cmap(fontname, subset)
    for i, v in enumerate(subset):
        if v > 0xFFFF:
            cmap = cmap.replace(f"<{i:02X}> <{v:04X}>", f"<{i:02X}> <{chr(v).encode('utf-16-be').hex().upper()}>")
    return cmap


ttfonts.makeToUnicodeCMap = _to_unicode_cmap

@functools.cache
def _font() -> tuple[str, bool]:
    """The body font's name, and whether it is the embedded kai subset (else the fallback)."""
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    path = fonts.handwriting_font_path()
    if path is None:
        return FALLBACK_FONT, False
    pdfmetrics.registerFont(TTFont("EsignReportKai", str(path)))
    return "EsignReportKai", True


@functools.cache
def _font_for(char: str) -> str:
    """A font for a character the body font lacks: a TrueType font of the host that has it
    (embedded like the body font), else the referenced ``STSong-Light``."""
    try:
        face = fonts.resolve_faces(char, handwriting=True)[char]
    except (InvalidValue, KeyError):
        return FALLBACK_FONT
    if face.shipped or face.path.suffix.lower() not in (".ttf", ".ttc"):
        return FALLBACK_FONT  # the shipped seal font has PostScript outlines, which reportlab cannot embed
    name = f"EsignReportHost{abs(hash((str(face.path), face.index))):x}"
    try:
        pdfmetrics.getFont(name)
    except KeyError:
        try:
            pdfmetrics.registerFont(TTFont(name, str(face.path), subfontIndex=face.index))
        except Exception:  # an unreadable host font just means the fallback
            return FALLBACK_FONT
    return name


def _markup(text: Any) -> str:
    """Escaped Paragraph markup; characters the body font lacks are set in another font."""
    text = str(text)
    _, embedded = _font()
    missing = set(fonts.missing_characters(text, handwriting=True)) if embedded else set()
    out = []
    for char in text:
        if char in missing:
            out.append(f'<font name="{_font_for(char)}">{escape(char)}</font>')
        else:
            out.append(escape(char))
    return "".join(out).replace("\n", "<br/>")


class _Styles:
    def __init__(self) -> None:
        name, _ = _font()
        base = ParagraphStyle("body", fontName=name, fontSize=9, leading=12, wordWrap="CJK")
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7, leading=9)
        self.title = ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=1, spaceAfter=6)
        self.heading = ParagraphStyle("heading", parent=base, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4,
                                      keepWithNext=1)
        self.ok = ParagraphStyle("ok", parent=base, textColor=colors.HexColor("#1a7f37"))
        self.bad = ParagraphStyle("bad", parent=base, textColor=colors.HexColor("#c62828"))


def _time(value: datetime | None) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def _status(value: str) -> str:
    try:
        return f"{CONTRACT_STATUS_LABELS[ContractStatus(value)]} ({value})"
    except (KeyError, ValueError):
        return value


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float], style: ParagraphStyle, *,
           header: bool = True) -> Table:
    cells = [[c if isinstance(c, Paragraph) else Paragraph(_markup(c), style) for c in row] for row in rows]
    table = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1 if header else 0)
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(commands))
    return table


def _details(details: dict[str, Any]) -> str:
    text = json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL] + "…"


def _verification(v: EvidenceVerification, data: ContractEvidence, s: _Styles) -> list[Any]:
    flow: list[Any] = [Paragraph(_markup("存证链校验 (Chain verification)"), s.heading)]
    if v.ok:
        line = f"校验通过：已校验 {v.checked} 条存证记录（{v.nodes} 个节点），未发现篡改或删除。"
        flow.append(Paragraph(_markup(line), s.ok))
        return flow
    mine = v.concerning(data.contract_id)
    line = (f"校验未通过：已校验 {v.checked} 条存证记录（{v.nodes} 个节点），发现 {len(v.problems)} 处问题"
            f"{'（仅列出前若干处）' if v.truncated else ''}，其中 {len(mine)} 处涉及本合同。")
    flow.append(Paragraph(_markup(line), s.bad))
    kinds = {"edited": "被修改", "broken_link": "链接断开", "missing": "缺失（被删除）"}
    rows = [["节点", "序号", "问题", "事件", "说明"]]
    for p in v.problems[:50]:
        seq = f"{p.sequence}-{p.last_sequence}" if p.last_sequence not in (None, p.sequence) else str(p.sequence)
        rows.append([p.node, seq, kinds.get(p.kind.value, p.kind.value), p.action or "—", p.detail])
    flow.append(_table(rows, [28, 18, 22, 34, 78], s.small))
    return flow


def _parties(data: ContractEvidence, s: _Styles) -> list[Any]:
    rows: list[list[Any]] = [["序号", "类型", "签署方", "接收人", "联系方式", "状态", "接收时间"]]
    for p in data.parties:
        rows.append([p.serial_no, _TENANT.get(p.tenant_type, p.tenant_type), p.tenant_name, p.receiver_name or "—",
                     p.contact or "—", _SIGNATORY.get(p.status, p.status), _time(p.received_at)])
    flow: list[Any] = [Paragraph(_markup("签署方 (Parties)"), s.heading),
                       _table(rows, [10, 18, 44, 22, 26, 16, 44], s.small)]
    actions: list[list[Any]] = [["签署方", "签署动作", "类型", "状态", "完成时间", "操作人"]]
    for p in data.parties:
        for a in p.actions:
            actions.append([p.tenant_name, a.name, _ACTION_TYPE.get(a.type, a.type),
                            _ACTION_STATUS.get(a.status, a.status), _time(a.completed_at),
                            a.completed_by if a.completed_by is not None else "—"])
    if len(actions) > 1:
        flow += [Spacer(1, 3 * mm), _table(actions, [40, 36, 22, 16, 36, 30], s.small)]
    return flow


def _documents(data: ContractEvidence, s: _Styles) -> list[Any]:
    rows: list[list[Any]] = [["文件", "页数", "原文件 SHA-256", "签署后文件 SHA-256", "签署版本"]]
    for d in data.documents:
        rows.append([f"{d.title} ({d.id})", d.pages, d.original_sha256, d.current_sha256, d.revisions])
    return [Paragraph(_markup("合同文件 (Documents)"), s.heading), _table(rows, [40, 10, 56, 56, 18], s.small)]


def _certificates(data: ContractEvidence, s: _Styles) -> list[Any]:
    flow: list[Any] = [Paragraph(_markup("数字证书 (Certificates)"), s.heading)]
    if not data.certificates:
        return [*flow, Paragraph(_markup("存证记录未涉及数字证书。"), s.body)]
    rows: list[list[Any]] = [["序列号", "证书主体", "颁发者", "有效期", "状态"]]
    for c in data.certificates:
        validity = f"{_time(c.not_before)} 至 {_time(c.not_after)}" if c.not_before else "—"
        rows.append([c.serial, c.subject_name or "—", c.issuer or "—", validity, c.status or "未登记"])
    return [*flow, _table(rows, [36, 40, 40, 48, 16], s.small)]


def _events(data: ContractEvidence, s: _Styles) -> list[Any]:
    rows: list[list[Any]] = [["时间", "节点/序号", "事件", "操作人", "IP", "详情", "存证哈希 (SHA-256)"]]
    suspect = {(p.node, p.sequence) for p in data.verification.problems}
    marked = []
    for e in data.events:
        r = e.record
        if (e.node, e.sequence) in suspect:
            marked.append(len(rows))
        rows.append([_time(r.at), f"{e.node}/{e.sequence}", r.action, r.actor or "—", r.ip or "—",
                     _details(r.details), f"{e.entry_hash}\n前序: {e.previous_hash}"])
    flow: list[Any] = [Paragraph(_markup("签署日志 (Signing log)"), s.heading)]
    if len(rows) == 1:
        return [*flow, Paragraph(_markup("本合同暂无存证记录。"), s.body)]
    table = _table(rows, [22, 18, 22, 18, 16, 40, 44], s.small)
    for row in marked:  # entries the verification could not vouch for
        table.setStyle(TableStyle([("BACKGROUND", (0, row), (-1, row), colors.HexColor("#fde2e2"))]))
    return [*flow, table]


def _summary(data: ContractEvidence, s: _Styles) -> list[Any]:
    rows: Iterable[tuple[str, Any]] = (
        ("合同编号 (ID)", data.contract_id),
        ("合同主题", data.subject),
        ("合同状态", _status(data.status)),
        ("业务编号", data.biz_id or "—"),
        ("合同序列号", data.sn or "—"),
        ("创建时间", _time(data.created_at)),
        ("发起时间", _time(data.sent_at)),
        ("完成时间", _time(data.completed_at)),
        ("截止时间", _time(data.expire_at)),
        ("访问IP", "、".join(data.ips) or "—"),
        ("公证存证回执", "、".join(str(e.record.details.get("receipt_id", "")) for e in data.notary_receipts) or "—"),
    )
    return [_table([list(r) for r in rows], [40, 140], s.body, header=False)]


def render_evidence_report(data: ContractEvidence) -> bytes:
    """The report as PDF bytes (A4): summary, chain verification, parties, documents,
    certificates and the signing log with every entry's hash."""
    s = _Styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
        title=f"电子签约存证报告 {data.contract_id}", author="esign", subject=f"contract {data.contract_id}",
    )
    note = f"报告生成时间：{_time(data.generated_at)}（时间均为北京时间 UTC+8）"
    story: list[Any] = [
        Paragraph(_markup("电子签约存证报告"), s.title),
        Paragraph(_markup(note), s.small),
        Spacer(1, 3 * mm),
        *_summary(data, s),
        *_verification(data.verification, data, s),
        *_parties(data, s),
        *_documents(data, s),
        *_certificates(data, s),
        *_events(data, s),
    ]
    doc.build(story)
    return out.getvalue()
