"""Building the signing providers of 签署服务接入 from their stored configuration: ``local`` (our
engine), ``remote`` (another esign instance) and the ``esign.signers`` plugins, loaded the same
way as every other plugin family (:mod:`esign_adapters.plugin_loader`).

A plugin is a class with ``from_config(config, *, name, secrets)`` returning a PdfSigner; it may
set ``uses_local_keys = True`` when it signs with the credential it is given (an HSM that holds
our keys), otherwise it signs with its own CA and, like the remote provider, should call
``request.credential.certificate.reissued_by_provider(...)`` with the certificate it used."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from esign_adapters.plugin_loader import load_plugin_class, plugin_names
from esign_adapters.signing.dispatch import Provider
from esign_core.errors import ConfigurationError
from esign_core.model.signing_service import LOCAL, REMOTE, SigningProvider
from esign_core.ports.system import SecretBox

GROUP = "esign.signers"
BUILTIN_SIGNERS = {REMOTE: "esign_adapters.signing.remote:RemoteEsignPdfSigner"}


def signer_kinds() -> list[str]:
    """Every kind the console offers: the local engine, then the remote and plugin providers."""
    return [LOCAL, *plugin_names(GROUP, BUILTIN_SIGNERS, first=(REMOTE,))]


def build_provider(config: SigningProvider, *, local: Callable[[], Any], secrets: SecretBox) -> Provider:
    """The Provider for one configuration. Raises ConfigurationError (unknown kind, a plugin
    that cannot be loaded, or settings it refuses)."""
    if config.kind == LOCAL:
        return Provider(config, local(), uses_local_keys=True)
    cls = load_plugin_class(GROUP, config.kind, BUILTIN_SIGNERS, what="signing provider", key="kind",
                            first=(REMOTE,))
    try:
        signer = cls.from_config(dict(config.config), name=config.name, secrets=secrets)
    except ConfigurationError:
        raise
    except Exception as exc:  # a plugin's own validation error
        raise ConfigurationError(f"signing provider {config.name!r}: {exc}", name=config.name) from exc
    return Provider(config, signer, uses_local_keys=bool(getattr(signer, "uses_local_keys", False)))
