"""``esign device …``: the seal controller / seal lock registry (物理用印服务), the device simulator
and the connector that links a controller on a serial port to the platform
(docs/physical-seals.md, docs/seal-device-protocol.md)."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from esign_cli.context import load_platform
from esign_core.errors import InvalidValue, NotFoundError
from esign_core.model.seal_apply import Person
from esign_core.model.seal_device import DEVICE_KIND_LABELS, DEVICE_STATUS_LABELS, DeviceKind
from esign_core.services.seal_apply import EmergencyUse
from esign_core.services.seal_devices import BindDevice, ChangeDeviceStatus, ListDevices, RegisterDevice

KINDS = {"controller": DeviceKind.CONTROLLER, "lock": DeviceKind.LOCK}


@click.group("device")
def device_group() -> None:
    """Seal controllers (印控台) and seal locks (用印宝)."""


def _owner_id(platform: Any, owner: str | None) -> int:
    with platform.uow() as uow:
        if owner is None:
            org = uow.organizations.platform()
        elif owner.isdigit():
            org = uow.organizations.find(int(owner))
        else:
            org = uow.organizations.by_name(owner)
        if org is None:
            raise NotFoundError(f"enterprise {owner!r} not found", field="owner")
        return int(org.id)


@device_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """Every registered device with its seal, status, firmware and last contact."""
    devices = load_platform(ctx).handle(ListDevices())
    rows = [{"device_no": d.device_no, "kind": d.kind.value, "name": d.name, "owner_id": str(d.owner_id),
             "seal_id": None if d.seal_id is None else str(d.seal_id), "status": d.status.value,
             "firmware": d.firmware, "last_seen": d.last_seen.isoformat() if d.last_seen else None}
            for d in devices]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("device_no", "kind", "name", "seal", "status", "firmware", "last seen")
    for d in devices:
        table.add_row(d.device_no, DEVICE_KIND_LABELS[d.kind], d.name, str(d.seal_id or "-"),
                      DEVICE_STATUS_LABELS[d.status], d.firmware or "-",
                      d.last_seen.strftime("%Y-%m-%d %H:%M:%S") if d.last_seen else "-")
    Console(width=160).print(table)


@device_group.command("add")
@click.argument("device_no")
@click.option("--kind", type=click.Choice(sorted(KINDS)), default="controller", show_default=True)
@click.option("--owner", default=None, help="Owner enterprise (name or id; default: the platform enterprise).")
@click.option("--seal", "seal_id", type=int, default=None, help="Seal id to bind.")
@click.option("--name", default="", help="A label (e.g. where it stands).")
@click.pass_context
def add_cmd(ctx: click.Context, device_no: str, kind: str, owner: str | None, seal_id: int | None, name: str) -> None:
    """Register a device by the number printed on it."""
    platform = load_platform(ctx)
    click.echo(platform.handle(RegisterDevice(device_no, KINDS[kind], _owner_id(platform, owner), name, seal_id)))


@device_group.command("bind")
@click.argument("device_no")
@click.argument("seal_id", type=int, required=False)
@click.option("--unbind", is_flag=True, help="Remove the bound seal.")
@click.pass_context
def bind_cmd(ctx: click.Context, device_no: str, seal_id: int | None, unbind: bool) -> None:
    """Bind a seal of the device's enterprise to it (or --unbind)."""
    if seal_id is None and not unbind:
        raise InvalidValue("seal_id", "give a seal id, or --unbind")
    load_platform(ctx).handle(BindDevice(device_no, None if unbind else seal_id))


@device_group.command("disable")
@click.argument("device_no")
@click.pass_context
def disable_cmd(ctx: click.Context, device_no: str) -> None:
    """停用: the connector locks it and no code unlocks it."""
    load_platform(ctx).handle(ChangeDeviceStatus(device_no, enabled=False))


@device_group.command("enable")
@click.argument("device_no")
@click.pass_context
def enable_cmd(ctx: click.Context, device_no: str) -> None:
    load_platform(ctx).handle(ChangeDeviceStatus(device_no, enabled=True))


@device_group.command("emergency")
@click.argument("device_no")
@click.option("--count", type=int, required=True)
@click.option("--reason", required=True)
@click.option("--by-mobile", required=True, help="Mobile of the person using the seal.")
@click.option("--by-name", default="")
@click.pass_context
def emergency_cmd(ctx: click.Context, device_no: str, count: int, reason: str, by_mobile: str, by_name: str) -> None:
    """紧急用印: unlock COUNT presses now (pushed by the device's connector)."""
    app = load_platform(ctx).handle(EmergencyUse(device_no, count, reason, Person(by_name, by_mobile)))
    click.echo(app.id)


@device_group.command("connect")
@click.option("--port", required=True, help="Serial port of the controller (/dev/ttyUSB0, /dev/pts/N, a link).")
@click.option("--device-no", required=True, help="The registered number; the device must identify as it.")
@click.option("--baudrate", type=int, default=115200, show_default=True)
@click.option("--timeout", type=float, default=0.5, show_default=True, help="Seconds to wait for an answer.")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between command polls.")
@click.pass_context
def connect_cmd(ctx: click.Context, port: str, device_no: str, baudrate: int, timeout: float, poll: float) -> None:
    """Link a controller to the platform until interrupted: codes typed on it are verified and
    unlock it; every stamp is recorded with its photo; emergency unlocks and locks are pushed."""
    from esign_adapters.seal_device.serial_device import SerialSealDevice
    from esign_core.services.seal_connector import Connector

    platform = load_platform(ctx)
    device = SerialSealDevice(port, baudrate=baudrate, timeout=timeout)
    connector = Connector(device, platform.handle, device_no=device_no, poll_seconds=poll)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"connected to {device_no} on {port}; Ctrl-C to stop", err=True)
    try:
        connector.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        device.close()
        click.echo(f"{connector.stamps} stamp(s) recorded; {device.stats}", err=True)


SIM_HELP = """commands: code CODE [FACE.jpg] | press [PHOTO.jpg] | lock | status | corrupt N | garbage | half |
mute N | disconnect | quit"""


@device_group.command("simulate")
@click.option("--port", "link", default=None,
              help="Path under which the simulator publishes its end of a new pty pair (default: a new "
                   "temporary directory's ttySEAL).")
@click.option("--device-no", default="SC-0001", show_default=True)
@click.option("--firmware", default="sim-1.2.0", show_default=True)
def simulate_cmd(link: str | None, device_no: str, firmware: str) -> None:
    """A seal controller simulator on a pseudo-terminal (for demos and tests). Prints the port to
    give to ``esign device connect``, then reads commands from stdin (one per line)."""
    from esign_adapters.seal_device.simulator import DeviceSimulator

    if link is None:
        import tempfile

        link = str(Path(tempfile.mkdtemp(prefix="esign-seal-")) / "ttySEAL")
    sim = DeviceSimulator(link, device_no=device_no, firmware=firmware).start()
    click.echo(f"simulating {device_no} on {sim.link} (-> {Path(sim.link).resolve()})")
    click.echo(SIM_HELP)
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            cmd, args = words[0], words[1:]
            if cmd == "quit":
                break
            click.echo(_sim_command(sim, cmd, args))
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


def _sim_command(sim: Any, cmd: str, args: list[str]) -> str:
    def file_or(default: bytes) -> bytes:
        return Path(args[-1]).read_bytes() if len(args) > (1 if cmd == "code" else 0) else default

    if cmd == "code" and args:
        sim.enter_code(args[0], file_or(b""))
        return "code sent"
    if cmd == "press":
        return "stamped" if sim.press(file_or(b"\xff\xd8simulated photo")) else "locked: the seal does not move"
    if cmd == "lock":
        sim.lock_button()
        return "locked"
    if cmd == "status":
        return f"remaining={sim.remaining} counter={sim.counter} unlocks={sim.unlocks} refusals={sim.refusals}"
    if cmd in ("corrupt", "mute"):
        setattr(sim, f"{cmd}_next", int(args[0]) if args else 1)
        return f"{cmd} armed"
    if cmd == "garbage":
        sim.garbage()
        return "garbage written"
    if cmd == "half":
        sim.half_frame_next = True
        return "next frame goes out half first"
    if cmd == "disconnect":
        sim.disconnect()
        return "line dropped; a new pty will appear under the same path"
    return SIM_HELP
