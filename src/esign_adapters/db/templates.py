"""Templates: their mapper and SQL repository. Parameters are stored as a JSON list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from esign_adapters.db import tables as t
from esign_adapters.db.mappers import Mapper, Row, blob_out, required_blob
from esign_adapters.db.repositories import SqlRepository
from esign_core.model.template import ParamType, Template, TemplateKind, TemplateParam, TemplateStatus


def param_out(p: TemplateParam) -> dict[str, Any]:
    return {"name": p.name, "type": p.type.value, "required": p.required, "options": list(p.options),
            "columns": list(p.columns)}


def param_in(d: Mapping[str, Any]) -> TemplateParam:
    return TemplateParam(d["name"], ParamType(d["type"]), bool(d.get("required")), tuple(d.get("options") or ()),
                         tuple(d.get("columns") or ()))


class TemplateMapper(Mapper[Template]):
    name = "templates"
    table = t.templates

    def to_row(self, item: Template) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "title": item.title,
            "kind": item.kind.value,
            **blob_out("source", item.source),
            "params": [param_out(p) for p in item.params],
            "status": item.status.value,
            "created_at": item.created_at,
        }

    def from_row(self, row: Mapping[str, Any]) -> Template:
        return Template(
            id=row["id"],
            version=row["version"],
            title=row["title"],
            kind=TemplateKind(row["kind"]),
            source=required_blob("source", row),
            params=tuple(param_in(d) for d in row["params"]),
            status=TemplateStatus(row["status"]),
            created_at=row["created_at"],
        )


class SqlTemplateRepository(SqlRepository[Template]):
    _c = t.templates.c

    def list(self) -> Sequence[Template]:
        """Templates not deleted, by id."""
        deleted = TemplateStatus.DELETED
        return self._where(self._c.status != deleted.value, lambda x: x.status is not deleted)
