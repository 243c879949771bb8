"""The end of voiding (作废): when the last party has signed the void statement the contract is
TERMINATED, and the void policy decided when voiding started is applied in the same unit of
work — the original documents (never the statement) are marked destroyed with a
``document.destroyed`` evidence record keeping their SHA-256, and their files are deleted only
after the commit (a file another document still uses is kept). Also the void statement itself:
an HTML page (parties, the original contract and its files, the reason) turned into PDF by the
document conversion service."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import attrs

from esign_core.errors import StorageError
from esign_core.model.contract import Contract, ContractStatus
from esign_core.model.document import Document
from esign_core.ports import UnitOfWork
from esign_core.ports.storage import BlobStore
from esign_core.services.contract_evidence import ContractJournal, document_facts
from esign_core.values import BlobRef

log = logging.getLogger(__name__)
_CHINA = timezone(timedelta(hours=8))


@attrs.frozen
class VoidFiles:
    """Files to delete after the commit that voided a contract with its original removed."""

    files: dict[str, BlobRef] = attrs.field(factory=dict)
    shared: frozenset[str] = frozenset()


def finish_void(uow: UnitOfWork, contract: Contract, *, at: datetime, actor: str, ip: str | None) -> VoidFiles:
    """When ``contract`` was just TERMINATED with its original to be removed: mark its documents
    but the void statement destroyed (with evidence) and return the files to delete after the
    commit. Otherwise nothing."""
    if contract.status is not ContractStatus.TERMINATED or not contract.void_remove_original:
        return VoidFiles()
    journal = ContractJournal(uow, contract, at=at, actor=actor, ip=ip)
    files: dict[str, BlobRef] = {}
    for doc in uow.documents.of_contract(contract.id):
        if doc.id == contract.void_statement_id or doc.destroyed:
            continue
        files.update((ref.key, ref) for ref in doc.destroy(at=at))
        journal.note("document.destroyed", **document_facts(doc))
    shared = frozenset(key for key in files if uow.documents.using_blob(key))
    return VoidFiles(files, shared)


def delete_void_files(void: VoidFiles, blobs: BlobStore) -> tuple[int, tuple[str, ...]]:
    """Delete the files after the commit; (deleted, kept keys). A file that cannot be deleted is
    logged and kept (``esign storage verify --repair`` finds it), never raised."""
    deleted, kept = 0, []
    for key, ref in void.files.items():
        if key in void.shared:
            kept.append(key)
            continue
        try:
            blobs.delete(ref)
            deleted += 1
        except StorageError as exc:
            log.warning("could not delete %s of a voided contract: %s", key, exc.message)
            kept.append(key)
    return deleted, tuple(kept)


def void_statement_html(contract: Contract, documents: Sequence[Document], *, sponsor: str, reason: str,
                        remove_original: bool, at: datetime) -> str:
    """The void statement (作废声明): who, which contract and files (by SHA-256), why, and what
    becomes of the original; the parties' seals go in the space left at the bottom."""
    e = html.escape
    local = at.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M:%S")
    completed = contract.completed_at.astimezone(_CHINA).strftime("%Y-%m-%d %H:%M:%S") \
        if contract.completed_at else "—"
    parties = "".join(f"<li>{e(s.tenant_name)}</li>" for s in contract.signatories
                      if any(a.type.value != "AUDIT" for a in s.actions)) or "<li>—</li>"
    files = "".join(f"<li>{e(d.title)}（SHA-256：{e(d.current.digest.hex)}）</li>" for d in documents)
    fate = "销毁原合同文件" if remove_original else "保留原合同文件"
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="content-type" content="text/html;charset=utf-8"><title>作废声明</title>
<style>body{{font-size:12pt;line-height:1.6}} h1{{text-align:center;font-size:20pt}}
td{{padding:2pt 6pt;vertical-align:top}} .sign{{height:260pt}}</style></head><body>
<h1>作废声明</h1>
<p>各签署方一致同意，自本声明经全部签署方签署之日起，下列合同作废，对各方不再具有约束力。</p>
<table>
<tr><td>合同名称</td><td>{e(contract.subject)}</td></tr>
<tr><td>合同编号</td><td>{e(str(contract.id))}{(' / ' + e(contract.sn)) if contract.sn else ''}</td></tr>
<tr><td>业务编号</td><td>{e(contract.biz_id or '—')}</td></tr>
<tr><td>完成时间</td><td>{e(completed)}</td></tr>
<tr><td>发起方</td><td>{e(sponsor or '—')}</td></tr>
<tr><td>作废原因</td><td>{e(reason)}</td></tr>
<tr><td>原件处理</td><td>{fate}</td></tr>
<tr><td>声明时间</td><td>{e(local)}</td></tr>
</table>
<p>签署方：</p><ul>{parties}</ul>
<p>原合同文件：</p><ul>{files}</ul>
<div class="sign"><p>签署方盖章 / 签字：</p></div>
</body></html>"""
