"""Push senders (the :class:`~esign_core.ports.outside.PushSender` port), found through the
``esign.push`` entry-point group: only the development :class:`~esign_adapters.push.log.LogPushSender`
is built in (real app push needs a vendor account; see docs/messaging-channels.md)."""
