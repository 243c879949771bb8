"""SMS channels (the :class:`~esign_core.ports.outside.SmsChannel` port).

Only the development channel exists so far: :class:`~esign_adapters.sms.dev.FileSmsChannel`
writes each message to a file instead of sending it. Real providers (the platform channel and the
operator's own, 短信设置 三.6.1) arrive with the messaging issue."""
