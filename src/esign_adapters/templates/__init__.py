"""Template rendering adapters (:class:`esign_core.ports.templates.TemplateRenderer`)."""

from esign_adapters.templates.renderer import JinjaWeasyTemplateRenderer

__all__ = ["JinjaWeasyTemplateRenderer"]
