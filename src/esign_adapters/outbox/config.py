"""Worker and webhook configuration: ``[worker]`` and ``[webhooks]`` in esign.toml, overridden by
``ESIGN_*`` environment variables.

.. code-block:: toml

    [worker]
    concurrency = 1        # delivery threads per process (ESIGN_WORKER_CONCURRENCY)
    batch = 20             # messages claimed per round
    poll_seconds = 1.0     # idle wait between rounds
    tick_seconds = 15      # how often the scheduler looks for due tasks
    max_attempts = 8       # then the message is dead-lettered
    backoff_seconds = 5    # first retry after 2.5-5 s, doubling (jittered) up to backoff_cap_seconds
    backoff_cap_seconds = 3600
    lease_seconds = 300    # a claimed message returns to the pool after this (worker died)

    [webhooks]
    secrets = ["whsec_…"]  # signing secrets, newest first (ESIGN_WEBHOOK_SECRETS, space-separated)
    allow = ["10.0.0.0/8", "hooks.internal"]   # private targets allowed (ESIGN_WEBHOOK_ALLOW)
    timeout_seconds = 10
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs

from esign_adapters.settings import Settings, read_or_create_text
from esign_core.errors import ConfigurationError
from esign_core.model.outbox import RetryPolicy

WEBHOOK_SECRET_FILE = "webhook-secret"


def _section(settings: Settings, name: str) -> Mapping[str, Any]:
    value = settings.file_values.get(name, {})
    return value if isinstance(value, dict) else {}


def _number(raw: Any, name: str, cast: type[int] | type[float]) -> Any:
    try:
        value = cast(raw)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name} must be a number", field=name) from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive", field=name)
    return value


@attrs.frozen(kw_only=True)
class WorkerConfig:
    concurrency: int = 1
    batch: int = 20
    poll_seconds: float = 1.0
    tick_seconds: float = 15.0
    policy: RetryPolicy = RetryPolicy()

    @classmethod
    def load(cls, settings: Settings, env: Mapping[str, str] | None = None) -> WorkerConfig:
        env = os.environ if env is None else env
        w = _section(settings, "worker")

        def get(key: str, default: Any) -> Any:
            return env.get(f"ESIGN_WORKER_{key.upper()}") or w.get(key, default)

        policy = RetryPolicy(
            max_attempts=_number(get("max_attempts", 8), "worker.max_attempts", int),
            base=timedelta(seconds=_number(get("backoff_seconds", 5), "worker.backoff_seconds", float)),
            cap=timedelta(seconds=_number(get("backoff_cap_seconds", 3600), "worker.backoff_cap_seconds", float)),
            lease=timedelta(seconds=_number(get("lease_seconds", 300), "worker.lease_seconds", float)),
        )
        return cls(concurrency=_number(get("concurrency", 1), "worker.concurrency", int),
                   batch=_number(get("batch", 20), "worker.batch", int),
                   poll_seconds=_number(get("poll_seconds", 1.0), "worker.poll_seconds", float),
                   tick_seconds=_number(get("tick_seconds", 15.0), "worker.tick_seconds", float), policy=policy)


@attrs.frozen(kw_only=True)
class WebhookConfig:
    secrets: tuple[str, ...] = attrs.field(repr=lambda s: f"<{len(s)} secret(s)>")
    allow: tuple[str, ...] = ()
    timeout: float = 10.0

    @classmethod
    def load(cls, settings: Settings, env: Mapping[str, str] | None = None) -> WebhookConfig:
        """Secrets from ``ESIGN_WEBHOOK_SECRETS``, else ``[webhooks] secrets``, else one generated
        once into ``<data_dir>/webhook-secret`` (mode 0600)."""
        from esign_adapters.outbox.webhook import new_secret

        env = os.environ if env is None else env
        h = _section(settings, "webhooks")
        raw_secrets = env.get("ESIGN_WEBHOOK_SECRETS")
        secrets = tuple(raw_secrets.split()) if raw_secrets else tuple(str(s) for s in h.get("secrets", ()))
        if not secrets:
            secrets = (read_or_create_text(settings.data_dir / WEBHOOK_SECRET_FILE, new_secret),)
        raw_allow = env.get("ESIGN_WEBHOOK_ALLOW")
        allow = tuple(raw_allow.replace(",", " ").split()) if raw_allow is not None else tuple(
            str(a) for a in h.get("allow", ()))
        return cls(secrets=secrets, allow=allow,
                   timeout=_number(h.get("timeout_seconds", 10), "webhooks.timeout_seconds", float))
