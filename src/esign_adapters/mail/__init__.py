"""Mail senders (the :class:`~esign_core.ports.outside.MailSender` port): SMTP with STARTTLS or
implicit TLS and AUTH (:mod:`esign_adapters.mail.smtp`)."""
