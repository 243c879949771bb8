"""The restart action over SSH (服务器认证配置 / 重启, manual 四.2.2; ADR 0046), with asyncssh.

Authentication is by key only: the private key (OpenSSH or PEM, unencrypted) is sealed with the
SecretBox (purpose ``cluster-ssh``) and opened only to connect. The server is checked against the
host key the admin saved (no trust on first use); no agent, no ``~/.ssh`` file and no password is
ever used. The command runs as configured, with a time limit; its exit status and the tail of its
output are the result.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import attrs

from esign_adapters.db.cluster_nodes import SshTarget
from esign_core.errors import ConfigurationError, InvalidValue, SshError
from esign_core.ports import SecretBox

PURPOSE = "cluster-ssh"
OUTPUT_TAIL = 2000


@attrs.frozen
class RestartResult:
    exit_status: int | None
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


def _asyncssh() -> Any:
    try:
        import asyncssh
    except ImportError:
        raise ConfigurationError("the restart over SSH needs asyncssh: pip install 'esign[ssh]'") from None
    return asyncssh


def check_private_key(pem: str) -> None:
    """Raises InvalidValue unless ``pem`` is an unencrypted private key asyncssh can use."""
    asyncssh = _asyncssh()
    try:
        asyncssh.import_private_key(pem)
    except (asyncssh.KeyImportError, ValueError):
        raise InvalidValue("private_key", "not an unencrypted OpenSSH/PEM private key") from None


def check_host_key(line: str) -> None:
    """Raises InvalidValue unless ``line`` is a public host key (``ssh-ed25519 AAAA…``, as
    ``ssh-keyscan`` prints it after the host name)."""
    asyncssh = _asyncssh()
    try:
        asyncssh.import_public_key(line.strip())
    except (asyncssh.KeyImportError, ValueError):
        raise InvalidValue("host_key", "not an OpenSSH public host key line") from None


def make_target(*, host: str, ssh_host: str, ssh_port: int, ssh_user: str, private_key: str, host_key: str,
                restart_command: str, secrets: SecretBox, at: datetime) -> SshTarget:
    """Validate the form and seal the private key. Raises InvalidValue naming the bad field."""
    for name, value, limit in (("host", host, 255), ("ssh_host", ssh_host, 255), ("ssh_user", ssh_user, 64),
                               ("restart_command", restart_command, 500)):
        if not value.strip() or len(value) > limit or any(c in value for c in "\r\n\0"):
            raise InvalidValue(name, f"{name} is required (1-{limit} characters, one line)")
    if not 1 <= ssh_port <= 65535:
        raise InvalidValue("ssh_port", "ssh_port must be 1-65535")
    check_private_key(private_key)
    check_host_key(host_key)
    return SshTarget(host=host.strip(), ssh_host=ssh_host.strip(), ssh_port=ssh_port, ssh_user=ssh_user.strip(),
                     private_key_ref=secrets.seal(private_key.encode(), purpose=PURPOSE),
                     host_key=host_key.strip(), restart_command=restart_command.strip(), updated_at=at)


async def _run(target: SshTarget, key_pem: str, timeout: float) -> RestartResult:
    asyncssh = _asyncssh()
    key = asyncssh.import_private_key(key_pem)
    trusted = ([asyncssh.import_public_key(target.host_key)], [], [])
    try:
        async with asyncssh.connect(target.ssh_host, port=target.ssh_port, username=target.ssh_user,
                                    client_keys=[key], known_hosts=trusted, agent_path=None, config=[],
                                    password_auth=False, kbdint_auth=False, gss_auth=False,
                                    host_based_auth=False, connect_timeout=timeout, login_timeout=timeout) as conn:
            result = await conn.run(target.restart_command, check=False, timeout=timeout)
    except (OSError, asyncssh.Error, TimeoutError) as exc:
        raise SshError(f"SSH to {target.ssh_user}@{target.ssh_host}:{target.ssh_port} failed: "
                       f"{type(exc).__name__}: {str(exc)[:200]}", host=target.host) from None
    output = f"{result.stdout or ''}{result.stderr or ''}"
    return RestartResult(result.exit_status, str(output)[-OUTPUT_TAIL:])


def restart(target: SshTarget, *, secrets: SecretBox, timeout: float = 30.0) -> RestartResult:
    """Run the target's restart command over SSH (blocking; call it from a worker thread).
    Raises SshError when the connection, the host key check or the authentication fails,
    ConfigurationError when the sealed key cannot be opened with this installation's key."""
    key_pem = secrets.open(target.private_key_ref, purpose=PURPOSE).decode()
    return asyncio.run(_run(target, key_pem, timeout))
