"""Architecture test: every console route goes through the one permission gate and declares
what it needs (a Permission, LOGIN_ONLY, or public)."""

from __future__ import annotations

from litestar import Litestar

from esign_core.model.user import Permission
from esign_http.access import LOGIN_ONLY, console_gate


def test_every_console_route_declares_a_permission(app: Litestar) -> None:
    checked = 0
    for route in app.routes:
        if not route.path.startswith("/console"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.http_methods == {"OPTIONS"}:  # Litestar's automatic CORS pre-flight answer
                continue
            opt = handler.opt
            assert opt.get("public") or opt.get("permission") == LOGIN_ONLY or isinstance(
                opt.get("permission"), Permission), f"{route.path} {handler.http_methods} declares no permission"
            if not opt.get("public"):
                hook = handler.resolve_before_request()
                target = getattr(hook, "func", getattr(hook, "ref", hook))
                target = getattr(target, "value", target)
                assert target is console_gate, f"{route.path} is not behind console_gate ({hook!r})"
            checked += 1
    assert checked > 25


def test_the_super_admin_keeps_every_permission_even_new_ones() -> None:
    from datetime import UTC, datetime

    from esign_core.model.permission_tree import effective_permissions
    from esign_core.model.user import AdminAccount, Role

    old_role = Role(id=1, name="超级管理员", permissions=frozenset({Permission.SETTINGS}), builtin=True)
    account = AdminAccount(id=2, username="a", password_hash="x", role_ids=frozenset({1}),
                           password_changed_at=datetime.now(UTC))
    assert effective_permissions(account, [old_role]) == frozenset(Permission)


def test_a_group_permission_grants_its_leaves() -> None:
    held = frozenset({Permission.SETTINGS})
    assert Permission.SETTINGS_PASSWORD_EDIT.granted_by(held)
    assert not Permission.ADMINS_ROLES_VIEW.granted_by(held)
