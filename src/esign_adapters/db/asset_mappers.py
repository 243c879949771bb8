"""Mappers of seal types, seals, certificates and documents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from esign_adapters.db import tables as t
from esign_adapters.db.mappers import Mapper, Row, blob_in, blob_out, id_set_out, required_blob
from esign_core.model.certificate import Certificate, CertificateKind, CertificateStatus, SubjectType
from esign_core.model.document import Document
from esign_core.model.seal import Seal, SealCategory, SealKind, SealSpec, SealStatus, SealType
from esign_core.values import BlobRef


class SealTypeMapper(Mapper[SealType]):
    name = "seal_types"
    table = t.seal_types

    def to_row(self, item: SealType) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "name": item.name,
            "enabled": item.enabled,
            "builtin": item.builtin,
        }

    def from_row(self, row: Mapping[str, Any]) -> SealType:
        return SealType(
            id=row["id"], version=row["version"], name=row["name"], enabled=row["enabled"], builtin=row["builtin"]
        )


class SealMapper(Mapper[Seal]):
    name = "seals"
    table = t.seals
    counters = ("use_count",)

    def to_row(self, item: Seal) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "owner_id": item.owner_id,
            "name": item.name,
            "kind": item.kind.value,
            "seal_type_id": item.seal_type_id,
            "spec_key": item.spec.key,
            "spec_shape": item.spec.shape,
            "spec_width_mm": item.spec.width_mm,
            "spec_height_mm": item.spec.height_mm,
            "category": item.category.value,
            "status": item.status.value,
            **blob_out("image", item.image),
            "custom_image": item.custom_image,
            "authorized_member_ids": id_set_out(item.authorized_member_ids),
            "use_count": item.use_count,
            "created_at": item.created_at,
        }

    def from_row(self, row: Mapping[str, Any]) -> Seal:
        spec = SealSpec(row["spec_key"], row["spec_shape"], row["spec_width_mm"], row["spec_height_mm"])
        return Seal(
            id=row["id"],
            version=row["version"],
            owner_id=row["owner_id"],
            name=row["name"],
            kind=SealKind(row["kind"]),
            seal_type_id=row["seal_type_id"],
            spec=spec,
            category=SealCategory(row["category"]),
            status=SealStatus(row["status"]),
            image=blob_in("image", row),
            custom_image=row["custom_image"],
            authorized_member_ids=frozenset(row["authorized_member_ids"]),
            use_count=row["use_count"],
            created_at=row["created_at"],
        )


class CertificateMapper(Mapper[Certificate]):
    name = "certificates"
    table = t.certificates

    def to_row(self, item: Certificate) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "kind": item.kind.value,
            "subject_name": item.subject_name,
            "subject_type": item.subject_type.value,
            "subject_code": item.subject_code,
            "serial": item.serial,
            "issuer": item.issuer,
            "ca_name": item.ca_name,
            "not_before": item.not_before,
            "not_after": item.not_after,
            "key_type": item.key_type,
            "key_ref": item.key_ref,
            "status": item.status.value,
            "revoked_at": item.revoked_at,
            "revocation_reason": item.revocation_reason,
            "owner_id": item.owner_id,
        }

    def from_row(self, row: Mapping[str, Any]) -> Certificate:
        return Certificate(
            id=row["id"],
            version=row["version"],
            kind=CertificateKind(row["kind"]),
            subject_name=row["subject_name"],
            subject_type=SubjectType(row["subject_type"]),
            subject_code=row["subject_code"],
            serial=row["serial"],
            issuer=row["issuer"],
            ca_name=row["ca_name"],
            not_before=row["not_before"],
            not_after=row["not_after"],
            key_type=row["key_type"],
            key_ref=row["key_ref"],
            status=CertificateStatus(row["status"]),
            revoked_at=row["revoked_at"],
            revocation_reason=row["revocation_reason"],
            owner_id=row["owner_id"],
        )


class DocumentMapper(Mapper[Document]):
    """Document ↔ documents + document_revisions (append-only: a saved document only ever gains
    revisions, so only the new ones are inserted)."""

    name = "documents"
    table = t.documents

    def to_row(self, item: Document) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "title": item.title,
            **blob_out("original", item.original),
            **blob_out("current", item.current),
            "pages": item.pages,
            "contract_id": item.contract_id,
            "attachment": item.attachment,
            "created_at": item.created_at,
            "revisions": item.revisions,
            "destroyed": item.destroyed,
        }

    def from_row(self, row: Mapping[str, Any], revisions: Sequence[BlobRef] = ()) -> Document:
        return Document(
            id=row["id"],
            version=row["version"],
            title=row["title"],
            original=required_blob("original", row),
            current=required_blob("current", row),
            pages=row["pages"],
            contract_id=row["contract_id"],
            attachment=row["attachment"],
            created_at=row["created_at"],
            revisions=row["revisions"],
            signed_revisions=tuple(revisions),
            destroyed=row["destroyed"],
        )

    def snapshot(self, item: Document) -> tuple[Row, int]:
        return self.to_row(item), len(item.signed_revisions)

    def load(
        self, conn: Connection, where: sa.ColumnElement[bool] | None, *, limit: int | None = None
    ) -> list[Document]:
        stmt = sa.select(self.table).order_by(self.table.c.id)
        if where is not None:
            stmt = stmt.where(where)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = conn.execute(stmt).mappings().all()
        revisions: dict[int, list[BlobRef]] = defaultdict(list)
        if rows:
            rt = t.document_revisions
            query = (
                sa.select(rt)
                .where(rt.c.document_id.in_([r["id"] for r in rows]))
                .order_by(rt.c.document_id, rt.c.seq)
            )
            for rev in conn.execute(query).mappings():
                revisions[rev["document_id"]].append(required_blob("blob", rev))
        return [self.from_row(r, revisions[r["id"]]) for r in rows]

    def insert(self, conn: Connection, item: Document) -> None:
        super().insert(conn, item)
        self._add_revisions(conn, item, 0)

    def update(self, conn: Connection, item: Document, snapshot: Any) -> bool:
        row, saved = snapshot
        if not super().update(conn, item, row):
            return False
        self._add_revisions(conn, item, saved)
        return True

    @staticmethod
    def _add_revisions(conn: Connection, item: Document, start: int) -> None:
        rows = [
            {"document_id": item.id, "seq": seq, **blob_out("blob", ref)}
            for seq, ref in enumerate(item.signed_revisions)
            if seq >= start
        ]
        if rows:
            conn.execute(sa.insert(t.document_revisions), rows)
