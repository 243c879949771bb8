"""In-site messages (站内信, manual 三.6.3) in the signing portal: the unread count in the header
of every portal page of an internal member, ``/portal/messages`` listing them and marking one
read. Messages are per member (the ``user_id`` given to NotifySealEvent is the member id); the
viewer is the member the sign link was issued to."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from esign_adapters.bootstrap import Platform
from esign_core.errors import EsignError
from esign_http.context import platform_of
from esign_http.portal_view import PortalView
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def unread_count(platform: Platform, view: PortalView) -> int | None:
    """The member's unread in-site messages; None for a viewer who is not an internal member (or
    when the inbox cannot be read: the header badge must not break the signing page)."""
    if view.member_id is None:
        return None
    try:
        return int(platform.inbox.unread_count(view.member_id))
    except EsignError:
        return None


def _member(request: AnyRequest, token: str) -> tuple[PortalView, int] | Response[Any]:
    from esign_http.portal import _gate  # the portal's own link and SMS-check gate

    gate = _gate(request, token)
    if isinstance(gate, Response):
        return gate
    _, view = gate
    if view.member_id is None:
        return Redirect(f"/portal/sign?viewToken={token}")
    return view, view.member_id


@get("/messages", sync_to_thread=True)
def inbox_page(request: AnyRequest) -> Response[Any]:
    token = request.query_params.get("viewToken", "")
    found = _member(request, token)
    if isinstance(found, Response):
        return found
    view, member_id = found
    platform = platform_of(request)
    return page(request, "portal/messages.html", messages=platform.inbox.messages(member_id, limit=100),
                view_token=token, inbox_unread=platform.inbox.unread_count(member_id), **view.context())


@post("/messages/read", sync_to_thread=True)
def mark_read(request: AnyRequest, data: FormData) -> Response[Any]:
    token = data.get("viewToken", "")
    found = _member(request, token)
    if isinstance(found, Response):
        return found
    _, member_id = found
    platform = platform_of(request)
    raw = data.get("message_id", "")
    if raw.isdecimal():
        platform.inbox.mark_read(member_id, int(raw), at=platform.clock.now())
    return Redirect(f"/portal/messages?viewToken={token}")
