"""Delivering the outbox: webhooks (Standard Webhooks signatures, SSRF guard), the worker loop
and its configuration. Channel adapters (SMS, mail, push, MQ) live in their own families; the
worker reaches them through the core's ports."""
