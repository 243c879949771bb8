"""Mapper of UKeys (hardware tokens holding a certificate, manual 四.3.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esign_adapters.db import tables as t
from esign_adapters.db.mappers import Mapper, Row
from esign_core.model.certificate import UKey, UKeyStatus


class UKeyMapper(Mapper[UKey]):
    name = "ukeys"
    table = t.ukeys

    def to_row(self, item: UKey) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "certificate_serial": item.certificate_serial,
            "holder": item.holder,
            "subject_code": item.subject_code,
            "device_no": item.device_no,
            "owner_org_id": item.owner_org_id,
            "status": item.status.value,
            "registered_at": item.registered_at,
            "status_changed_at": item.status_changed_at,
            "status_reason": item.status_reason,
        }

    def from_row(self, row: Mapping[str, Any]) -> UKey:
        return UKey(
            id=row["id"],
            version=row["version"],
            certificate_serial=row["certificate_serial"],
            holder=row["holder"],
            subject_code=row["subject_code"],
            device_no=row["device_no"],
            owner_org_id=row["owner_org_id"],
            status=UKeyStatus(row["status"]),
            registered_at=row["registered_at"],
            status_changed_at=row["status_changed_at"],
            status_reason=row["status_reason"],
        )
