"""The web layer: console, signing portal, open API and REST API on one Litestar app.

Public entry points: :func:`esign_http.app.create_app` and :func:`esign_http.server.serve`.
"""

from esign_http.app import create_app
from esign_http.server import serve

__all__ = ["create_app", "serve"]
