"""``esign sms`` and ``esign mail``: the SMS channel and templates, records and statistics, the
mail service, and test messages (manual 三.6; docs/messaging-channels.md)."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from esign_adapters import messaging_admin as admin
from esign_adapters.storage_admin import parse_assignments
from esign_cli.context import load_platform
from esign_core.model.messaging import MESSAGE_EVENTS
from esign_core.services import messaging as use_cases

out = Console(highlight=False, soft_wrap=True)


@click.group("sms")
def sms_group() -> None:
    """SMS: platform or own channel (aliyun, tencent, plugins), templates, records, statistics."""


@sms_group.command("show")
@click.pass_context
def sms_show(ctx: click.Context) -> None:
    """The channel in use, the own channel's provider (secrets masked) and every event's templates."""
    platform = load_platform(ctx)
    settings, templates = admin.current(platform)
    out.print(f"channel: {settings.channel.value}   own provider: {settings.provider or '-'}")
    for key, value in admin.masked_config(settings).items():
        out.print(f"  {escape(key)} = {escape(value)}")
    table = Table("event", "label", "required", "platform", "own", "template id", "own content")
    for ev in MESSAGE_EVENTS:
        own = templates.own_template(ev.code)
        table.add_row(ev.code, ev.label, "yes" if ev.required else "", "on" if templates.platform_enabled(ev.code)
                      else "off", "on" if own.enabled else "off", own.provider_template_id, escape(own.content))
    out.print(table)


@sms_group.command("configure")
@click.option("--provider", required=True, help="aliyun, tencent or a plugin's name.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="A provider setting (repeatable).")
@click.option("--switch/--no-switch", default=False,
              help="Finish and switch to the own channel (完成并切换), or save without switching (default).")
@click.pass_context
def sms_configure(ctx: click.Context, provider: str, sets: tuple[str, ...], switch: bool) -> None:
    """Save the own channel's provider settings (secrets sealed); a secret left out is kept."""
    platform = load_platform(ctx)
    settings = admin.save_sms_channel(platform, provider, parse_assignments(sets), switch=switch)
    out.print(f"saved: provider {settings.provider}; channel in use: {settings.channel.value}")


@sms_group.command("use")
@click.argument("channel", type=click.Choice(["platform", "own"], case_sensitive=False))
@click.pass_context
def sms_use(ctx: click.Context, channel: str) -> None:
    """Switch between the platform channel and the configured own channel."""
    settings = load_platform(ctx).handle(use_cases.UseSmsChannel(channel))
    out.print(f"channel in use: {settings.channel.value}")


@sms_group.command("template")
@click.argument("event")
@click.option("--content", help="Template text with ${parameters} (default: the current text).")
@click.option("--template-id", "template_id", help="The template ID registered with the provider.")
@click.option("--enable/--disable", "enabled", default=None, help="Switch the event on or off on the own channel.")
@click.pass_context
def sms_template(ctx: click.Context, event: str, content: str | None, template_id: str | None,
                 enabled: bool | None) -> None:
    """Change an event's own-channel template (required parameters are checked)."""
    platform = load_platform(ctx)
    current = admin.current(platform)[1].own_template(event)
    tid = current.provider_template_id if template_id is None else template_id
    required = any(ev.required for ev in MESSAGE_EVENTS if ev.code == current.event)
    on = (current.enabled or required) if enabled is None else enabled
    saved = platform.handle(use_cases.SaveSmsTemplate(current.event, content or current.content, tid, on))
    out.print(f"{saved.event}: {'on' if saved.enabled else 'off'}, template id {saved.provider_template_id or '-'}")


def _switch(ctx: click.Context, event: str, channel: str, enabled: bool) -> None:
    load_platform(ctx).handle(use_cases.SetSmsEventEnabled(channel.upper(), event, enabled))
    out.print(f"{event} on the {channel.lower()} channel: {'on' if enabled else 'off'}")


_CHANNEL = click.option("--channel", type=click.Choice(["platform", "own"], case_sensitive=False),
                        default="platform", show_default=True)


@sms_group.command("enable")
@click.argument("event")
@_CHANNEL
@click.pass_context
def sms_enable(ctx: click.Context, event: str, channel: str) -> None:
    """启用 a message event."""
    _switch(ctx, event, channel, True)


@sms_group.command("disable")
@click.argument("event")
@_CHANNEL
@click.pass_context
def sms_disable(ctx: click.Context, event: str, channel: str) -> None:
    """停用 a message event (required events refuse)."""
    _switch(ctx, event, channel, False)


@sms_group.command("test")
@click.option("--mobile", required=True)
@click.option("--event", default="verification_code", show_default=True)
@click.option("--channel", type=click.Choice(["own", "platform"], case_sensitive=False), default="own",
              show_default=True)
@click.pass_context
def sms_test(ctx: click.Context, mobile: str, event: str, channel: str) -> None:
    """短信测试: send the event's message with sample values; exit 6 when the provider refuses."""
    message_id = admin.test_sms(load_platform(ctx), mobile=mobile, event=event, channel=channel)
    out.print(f"sent: message id {escape(message_id)}")


@sms_group.command("records")
@click.option("--mobile", default="", help="Any part of the mobile number.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def sms_records(ctx: click.Context, mobile: str, limit: int, as_json: bool) -> None:
    """短信记录, newest first (mobile numbers masked)."""
    page, total = load_platform(ctx).sms_records.search(mobile=mobile, limit=limit)
    rows = [{"at": r.at.isoformat(), "mobile": r.masked_mobile, "event": r.event, "channel": r.channel,
             "provider": r.provider, "status": r.status.value, "message_id": r.message_id, "error": r.error,
             "attempts": r.attempts} for r in page]
    if as_json:
        click.echo(json.dumps({"total": total, "records": rows}, ensure_ascii=False, indent=2))
        return
    table = Table("time", "mobile", "event", "channel", "status", "message id", "error", title=f"{total} record(s)")
    for r in rows:
        table.add_row(str(r["at"])[:19], str(r["mobile"]), str(r["event"]), f"{r['channel']}/{r['provider']}",
                      str(r["status"]), str(r["message_id"]), escape(str(r["error"])))
    out.print(table)


@sms_group.command("stats")
@click.option("--months", default=12, show_default=True, type=click.IntRange(1, 60))
@click.pass_context
def sms_stats(ctx: click.Context, months: int) -> None:
    """短信统计: sent messages in total, per channel and per month."""
    platform = load_platform(ctx)
    stats = platform.sms_records.statistics(months=months, until=platform.clock.now())
    click.echo(json.dumps({"total": stats.total, "by_channel": stats.by_channel, "by_month": dict(stats.by_month)},
                          indent=2))


# -- mail ---------------------------------------------------------------------------------------
@click.group("mail")
def mail_group() -> None:
    """Mail service (邮件服务配置) and mail templates."""


@mail_group.command("show")
@click.pass_context
def mail_show(ctx: click.Context) -> None:
    settings, _ = admin.mail_settings(load_platform(ctx))
    data = settings.to_dict()
    data["password_secret_ref"] = "******" if settings.password_secret_ref else ""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@mail_group.command("configure")
@click.option("--sender", required=True, help="The sender address (发件邮箱).")
@click.option("--host", "smtp_host", required=True, help="SMTP server.")
@click.option("--port", "smtp_port", required=True, type=int)
@click.option("--tls", type=click.Choice(["NONE", "STARTTLS", "SSL"], case_sensitive=False), default="SSL",
              show_default=True)
@click.option("--user", "username", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (else kept).")
@click.option("--timeout", default=15, show_default=True, type=int)
@click.option("--ca-file", default="", help="PEM file of a private CA that issued the server's certificate.")
@click.pass_context
def mail_configure(ctx: click.Context, password_stdin: bool, **values: object) -> None:
    """Save the mail service; the password is sealed (never stored in clear)."""
    submitted = {k: str(v) for k, v in values.items()}
    submitted["password"] = sys.stdin.readline().rstrip("\r\n") if password_stdin else ""
    settings = load_platform(ctx).handle(admin.mail_command(submitted))
    out.print(f"saved: {settings.sender} via {settings.smtp_host}:{settings.smtp_port} ({settings.tls})")


@mail_group.command("test")
@click.option("--to", required=True, help="Recipient of the test mail.")
@click.pass_context
def mail_test(ctx: click.Context, to: str) -> None:
    """发送测试邮件 with the saved settings; exit 6 with the reason when it fails."""
    admin.send_test_mail(load_platform(ctx), to)
    out.print(f"test mail sent to {escape(to)}")


@mail_group.command("template")
@click.argument("event")
@click.option("--subject", required=True)
@click.option("--body", required=True)
@click.option("--enable/--disable", "enabled", default=True)
@click.pass_context
def mail_template(ctx: click.Context, event: str, subject: str, body: str, enabled: bool) -> None:
    """Change an event's mail template (subject + body with ${parameters})."""
    saved = load_platform(ctx).handle(use_cases.SaveMailTemplate(event, subject, body, enabled))
    out.print(f"{saved.event}: saved")



