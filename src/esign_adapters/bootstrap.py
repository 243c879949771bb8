"""Composition root: builds a :class:`Platform` (ports wired to adapters) from settings.

The HTTP app, the CLI and embedding applications all go through this module; nothing else
constructs adapters.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from esign_adapters.licensing import Ed25519LicenceVerifier, product_code
from esign_adapters.net import resolve_host
from esign_adapters.security import AesGcmSecretBox, Argon2PasswordHasher
from esign_adapters.settings import Settings, write_atomic
from esign_adapters.system import SnowflakeIds, SystemClock
from esign_core.bus import build_bus
from esign_core.errors import ConfigurationError, DomainError, InvalidValue
from esign_core.ports import Clock, IdGenerator, LicenceVerifier, PasswordHasher, SecretBox, UnitOfWork
from esign_core.services import setup
from esign_core.services.commands import Command, InitializePlatform

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
OFFLINE_TOKEN_FILE = "token"
LICENCE_IMAGE_FILE = "LICENSE.png"


class _Lazy:
    """Builds an adapter on first use, so that commands which never sign do not import pyHanko."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build

    def __getattr__(self, name: str) -> Any:
        return getattr(self._build(), name)


class Platform:
    """Everything a use case needs, wired. Thread-safe: each :meth:`handle` gets its own unit of
    work."""

    def __init__(
        self,
        settings: Settings,
        *,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        ids: IdGenerator,
        hasher: PasswordHasher,
        licences: LicenceVerifier,
        secrets: SecretBox,
        engine: Any = None,
    ) -> None:
        self.settings = settings
        self.uow_factory = uow_factory
        self.clock = clock
        self.ids = ids
        self.hasher = hasher
        self.licences = licences
        self.secrets = secrets
        self.engine = engine
        self._initialized = False
        self._lock = threading.Lock()
        self._tsa: tuple[Any, Any] | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Platform:
        from esign_adapters.db.engine import make_engine
        from esign_adapters.db.uow import SqlUnitOfWork

        settings = settings or Settings.load()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        from esign_adapters.db.node_leases import LeasedSnowflakeIds

        engine = make_engine(settings.database_url)
        holder: list[Platform] = []
        # ESIGN_NODE_ID pins the node; otherwise it is leased from the database (ADR 0023)
        ids = SnowflakeIds() if os.environ.get("ESIGN_NODE_ID") else LeasedSnowflakeIds(
            lambda: holder[0].engine if holder else None, ready=lambda: bool(holder) and holder[0].schema_ready())
        clock = SystemClock()
        platform = cls(
            settings,
            uow_factory=lambda: SqlUnitOfWork(engine, ids=ids, clock=clock),  # events -> outbox (ADR 0035)
            clock=clock,
            ids=ids,
            hasher=Argon2PasswordHasher(),
            licences=Ed25519LicenceVerifier.from_source(settings.licence_public_key),
            secrets=AesGcmSecretBox(settings.key_encryption_key()),
            engine=engine,
        )
        holder.append(platform)
        return platform

    def close(self) -> None:
        """Give back what the platform holds outside Python: its snowflake node lease, its idle
        PDF screening workers and its pooled database connections. Safe to call more than once;
        a closed platform reopens connections if used again."""
        close_ids = getattr(self.ids, "close", None)
        if callable(close_ids):
            close_ids()
        writer = self.__dict__.pop("log_writer", None)
        if writer is not None:  # the system logs still queued are written first (ADR 0045)
            writer.close()
        screener = self.__dict__.get("screener")
        if screener is not None and callable(getattr(screener, "close", None)):
            screener.close()
        recorder = self.__dict__.get("call_recorder")
        if recorder is not None:
            recorder.flush()
        if self.engine is not None:
            self.engine.dispose()

    # -- use cases ----------------------------------------------------------------------------
    def handle(self, command: Command) -> Any:
        bus = build_bus(
            uow=self.uow_factory(),
            clock=self.clock,
            ids=self.ids,
            hasher=self.hasher,
            licences=self.licences,
            secrets=self.secrets,
            ca=self.ca,
            signer=_Lazy(lambda: self.signer),
            validator=_Lazy(lambda: self.validator),
            screener=_Lazy(lambda: self.screener),
            blobs=_Lazy(lambda: self.blob_store),
            renderer=_Lazy(lambda: self.seal_renderer),
            converter=_Lazy(lambda: self.converter),
            template_renderer=_Lazy(lambda: self.template_renderer),
            resolver=resolve_host,
            inbox=_Lazy(lambda: self.inbox),
            push=_Lazy(lambda: self.push_sender),
            replays=_Lazy(lambda: self.replay_guard),
            identities=_Lazy(lambda: self.identity_verifier),
            statistics=_Lazy(lambda: self.statistics),
        )
        return bus.handle(command)

    # -- signing engine -----------------------------------------------------------------------
    @cached_property
    def ca(self) -> Any:
        """The internal CA (``<data_dir>/pki``; ``[pki]`` in esign.toml). Its CRL/OCSP addresses
        default to ``http://127.0.0.1:<port>/pki``: set ``[pki] base_url`` to the external address
        so that outside validators can reach them."""
        from esign_adapters.pki.ca import InternalCertificateAuthority

        pki = self.settings.file_values.get("pki", {})
        return InternalCertificateAuthority.from_settings(
            self.settings.data_dir / "pki",
            pki if isinstance(pki, dict) else {},
            default_base_url=f"http://127.0.0.1:{self.settings.port}/pki",
            secret_box=self.secrets,
            clock=self.clock,
            ids=self.ids,
        )

    def timestamper(self) -> Any:
        """The configured TSA: ``[tsa] url`` for an external RFC 3161 service, else ours. The
        internal TSA's certificate is renewed by the CA when due; the stamper is rebuilt daily."""
        tsa = self.settings.file_values.get("tsa", {})
        url = tsa.get("url") if isinstance(tsa, dict) else None
        if url:
            from esign_adapters.tsa import HttpTimeStamper

            return HttpTimeStamper(str(url), timeout=float(tsa.get("timeout", 10)))
        from esign_adapters.tsa import InternalTimeStamper

        now = self.clock.now()
        with self._lock:
            built = self._tsa
            if built is None or (now - built[0]).total_seconds() > 86400:
                built = (now, InternalTimeStamper(self.ca.tsa_credential(at=now), clock=self.clock))
                self._tsa = built
        return built[1]

    @cached_property
    def local_signer(self) -> Any:
        """The built-in engine: our CA, pyHanko (and the fast path)."""
        from esign_adapters.signing.engine import CaBoundSigner

        engine = self.settings.file_values.get("signing_engine", {})
        fast = engine.get("fast_path", True) if isinstance(engine, dict) else True
        return CaBoundSigner(self.ca, self.timestamper, self.clock.now, fast=bool(fast))

    @cached_property
    def signer(self) -> Any:
        """The PdfSigner of the use cases: the providers of 签署服务接入 behind a dispatcher
        (weights, failover, call records; docs/adr/0047-signing-dispatch.md). With none
        configured, the local engine alone."""
        from esign_adapters.signing.dispatch import ConfiguredSigningService, Provider
        from esign_adapters.signing.providers import build_provider
        from esign_core.model.signing_service import DEFAULT_LOCAL, SigningServiceSettings

        def current() -> Any:
            if not self.is_initialized():
                return None
            with self.uow() as uow:
                return uow.settings.get(SigningServiceSettings)

        return ConfiguredSigningService(
            current, lambda config: build_provider(config, local=lambda: self.local_signer, secrets=self.secrets),
            lambda: Provider(DEFAULT_LOCAL, self.local_signer, uses_local_keys=True),
            recorder=self.call_recorder, now=self.clock.now)

    @cached_property
    def signing_calls(self) -> Any:
        """调用详情 / 质量监控 (``signing_calls``; in memory without an SQL engine)."""
        if self.engine is None:
            from esign_core.testing.fake_signing_calls import InMemorySigningCallLog

            return InMemorySigningCallLog()
        from esign_adapters.db.signing_calls import SqlSigningCallLog

        return SqlSigningCallLog(self.engine)

    @cached_property
    def call_recorder(self) -> Any:
        """Batches the dispatcher's call records into ``signing_calls``."""
        from esign_adapters.signing.dispatch import BufferedCallRecorder

        return BufferedCallRecorder(self.signing_calls)

    def certificate_figures(self, *, months: int = 12) -> Any:
        """证书统计: user certificates by kind, status, issuing CA and month (CertificateFigures)."""
        now = self.clock.now()
        if self.engine is None:
            from esign_core.model.certificate_figures import figures_of

            with self.uow() as uow:
                return figures_of(uow.certificates.search(), until=now, months=months)
        from esign_adapters.db.certificate_figures import certificate_figures

        return certificate_figures(self.engine, until=now, months=months)

    def signing_services_changed(self) -> None:
        """After the providers were configured: the next signature uses the new configuration."""
        signer = self.__dict__.get("signer")
        if signer is not None:
            signer.changed()

    def remote_sign(self, body: bytes, *, app_name: str) -> bytes:
        """Serve a remote-signer request (docs/adr/0048-remote-signer-protocol.md) from an
        authenticated app: decode, sign with the local engine (never another remote one) and
        record the event certificate. Raises InvalidValue, SigningError."""
        from esign_adapters.signing.remote import decode_request
        from esign_core.services.signing import SignPdf, sign_pdf

        fields = decode_request(body)
        fields["business_system"] = fields["business_system"] or app_name
        return sign_pdf(SignPdf(**fields), uow=self.uow(), ca=self.ca, signer=self.signer.local_only(),
                        screener=self.screener, clock=self.clock)

    @cached_property
    def validator(self) -> Any:
        from esign_adapters.signing.engine import CaBoundValidator

        return CaBoundValidator(self.ca, self.clock.now)

    @cached_property
    def screener(self) -> Any:
        from esign_adapters.signing.screening import SubprocessPdfScreener

        return SubprocessPdfScreener()

    @cached_property
    def template_renderer(self) -> Any:
        from esign_adapters.templates import JinjaWeasyTemplateRenderer

        return JinjaWeasyTemplateRenderer()

    @cached_property
    def converter(self) -> Any:
        """Document conversion, chosen per call by the console's 文档转换服务 setting."""
        from esign_adapters.convert.selecting import SelectingConverter
        from esign_core.model.policy import ConversionSettings

        def current() -> ConversionSettings:
            with self.uow() as uow:
                return uow.settings.get(ConversionSettings)

        return SelectingConverter(current)

    @cached_property
    def verification_codes(self) -> Any:
        """The signing portal's SMS codes, kept in the database so every process shares them."""
        from esign_adapters.db.verification_codes import SqlVerificationCodes

        return SqlVerificationCodes(lambda: self.engine)

    @cached_property
    def replay_guard(self) -> Any:
        """The open API's and single sign-on's replay store (ADR 0042): in the database, so every
        process refuses what another accepted; in memory without an SQL engine."""
        if self.engine is None:
            from esign_core.testing.fake_replay import InMemoryReplayGuard

            return InMemoryReplayGuard()
        from esign_adapters.db.replay_keys import SqlReplayGuard

        return SqlReplayGuard(lambda: self.engine)

    @cached_property
    def identity_verifier(self) -> Any:
        """外部个人认证 / 外部法人单位认证 calls of integration apps, through the webhook SSRF guard
        (``[webhooks] allow`` / ``ESIGN_WEBHOOK_ALLOW`` admit internal hosts)."""
        from esign_adapters.outbox.identity import HttpIdentityVerifier
        from esign_adapters.outbox.targets import AllowList

        hooks = self.settings.file_values.get("webhooks", {})
        raw = os.environ.get("ESIGN_WEBHOOK_ALLOW")
        allow = raw.replace(",", " ").split() if raw is not None else \
            [str(a) for a in (hooks.get("allow", ()) if isinstance(hooks, dict) else ())]
        return HttpIdentityVerifier(allow=AllowList.parse(allow))

    @cached_property
    def seal_renderer(self) -> Any:
        from esign_adapters.seals.renderer import PillowSealRenderer

        return PillowSealRenderer()

    @cached_property
    def sms(self) -> Any:
        """The SMS channel (短信设置, docs/messaging-channels.md): the platform channel — in this
        installation the development channel, which writes ``<mobile> <code>`` lines to
        ``<data_dir>/dev-sms.log`` and sends nothing — or the own channel (an ``esign.sms``
        provider), per the stored settings; every send is recorded in the SMS records."""
        from esign_adapters.sms.channels import RecordingSmsChannel, SelectingSmsChannel
        from esign_adapters.sms.dev import FileSmsChannel
        from esign_core.model.messaging import SmsTemplates
        from esign_core.model.policy import SmsSettings

        def current() -> tuple[Any, Any]:
            with self.uow() as uow:
                return uow.settings.get(SmsSettings), uow.settings.get(SmsTemplates)

        dev = FileSmsChannel(self.settings.data_dir / "dev-sms.log")
        selecting = SelectingSmsChannel(current, platform_channel=dev, secrets=self.secrets)
        return RecordingSmsChannel(selecting, records=self.sms_records, clock=self.clock)

    @cached_property
    def sms_records(self) -> Any:
        """短信记录 / 短信统计 (``sms_records``; in memory without an SQL engine)."""
        if self.engine is None:
            from esign_core.testing.fake_messaging import InMemorySmsRecords

            return InMemorySmsRecords()
        from esign_adapters.db.message_log import SqlSmsRecords

        return SqlSmsRecords(self.engine)

    @cached_property
    def statistics(self) -> Any:
        """签署统计 (``StatisticsQueries``): SQL aggregates, or the in-memory fake without an engine."""
        if self.engine is None:
            from esign_core.testing.fake_statistics import InMemoryStatisticsQueries

            return InMemoryStatisticsQueries(getattr(self.uow_factory(), "db", None))
        from esign_adapters.db.statistics import SqlStatisticsQueries

        return SqlStatisticsQueries(self.engine)

    @cached_property
    def inbox(self) -> Any:
        """In-site messages (站内信)."""
        if self.engine is None:
            from esign_core.testing.fake_messaging import InMemoryInbox

            return InMemoryInbox()
        from esign_adapters.db.message_log import SqlInbox

        return SqlInbox(self.engine)

    @cached_property
    def mail_sender(self) -> Any:
        """SMTP per the stored mail settings (邮件服务配置); templates per event."""
        from esign_adapters.mail.smtp import SelectingMailSender
        from esign_core.model.messaging import MailTemplates
        from esign_core.model.policy import MailSettings

        def current() -> tuple[Any, Any]:
            with self.uow() as uow:
                return uow.settings.get(MailSettings), uow.settings.get(MailTemplates)

        return SelectingMailSender(current, secrets=self.secrets)

    @cached_property
    def push_sender(self) -> Any:
        """``[push] provider`` in esign.toml (an ``esign.push`` plugin); by default the
        development ``log`` sender writing ``<data_dir>/dev-push.log``."""
        from esign_adapters.push.registry import load_push_sender

        push = self.settings.file_values.get("push", {})
        config = dict(push) if isinstance(push, dict) else {}
        name = str(config.pop("provider", "log"))
        if name == "log":
            config.setdefault("path", str(self.settings.data_dir / "dev-push.log"))
        return load_push_sender(name, config, secrets=self.secrets)

    @cached_property
    def publisher(self) -> Any:
        """The message-broker publisher of ``[mq]`` in esign.toml (``url``, or ``ESIGN_MQ_URL``;
        an ``esign.mq`` plugin, ``rabbitmq`` by default); None when neither is set (``mq``
        outbox messages are then dead-lettered with a configuration error). docs/messaging.md."""
        from esign_adapters.mq import load_publisher

        mq = self.settings.file_values.get("mq", {})
        config = dict(mq) if isinstance(mq, dict) else {}
        if os.environ.get("ESIGN_MQ_URL"):
            config["url"] = os.environ["ESIGN_MQ_URL"]
        if not config.get("url"):
            return None
        return load_publisher(config)

    # -- file storage (manual 一.2.2 2; docs/storage.md) ----------------------------------------
    def storage_settings(self) -> Any:
        """The configured StorageSettings (local under ``files_dir`` until initialised)."""
        from esign_core.model.policy import StorageSettings

        if not self.is_initialized():
            return StorageSettings()
        with self.uow_factory() as uow:
            return uow.settings.get(StorageSettings)

    @cached_property
    def blob_store(self) -> Any:
        """The BlobStore contract files go to; rebuilt after :meth:`storage_changed`."""
        return self.storage(self.storage_settings())

    def storage(self, name_or_settings: Any) -> Any:
        """Build a store from StorageSettings, or by backend name (the configured settings when
        that backend is the current one). Raises ConfigurationError naming a bad setting or the
        missing ``pip install 'esign[...]'``."""
        from esign_adapters.storage.registry import BUILTIN_STORES, load_store
        from esign_core.model.policy import StorageSettings

        settings = name_or_settings
        if isinstance(settings, str):
            current = self.storage_settings()
            settings = current if current.backend == settings else StorageSettings(backend=settings)
        config = dict(settings.config)
        if settings.backend == "local" and not config.get("root"):
            config["root"] = str(self.settings.files_dir)
        return load_store(settings.backend, config, secrets=self.secrets, fallback=BUILTIN_STORES)

    def storage_changed(self) -> None:
        self.__dict__.pop("blob_store", None)

    def blob_references(self) -> Any:
        """The database's pointers into storage (for verify and migrate)."""
        from esign_adapters.db.blob_refs import SqlBlobReferences

        if self.engine is None:
            raise ConfigurationError("no database engine: blob references need the SQL database")
        return SqlBlobReferences(self.engine)

    def directory_sink(self) -> Any:
        """The batch import's bulk sink on this platform's database."""
        from esign_adapters.db.directory_sink import SqlDirectorySink

        return SqlDirectorySink(self.engine)

    # -- system logs and the cluster (manual 四.2.1–2.3; ADR 0045, 0046) ------------------------
    @cached_property
    def system_log(self) -> Any:
        """The stored system logs (``system_logs``; in memory without an SQL engine)."""
        if self.engine is None:
            from esign_core.testing.fake_system_log import InMemorySystemLog

            return InMemorySystemLog()
        from esign_adapters.db.system_log import SqlSystemLog

        return SqlSystemLog(self.engine)

    @cached_property
    def log_writer(self) -> Any:
        """The batch writer of the system logs (a daemon thread; ``[logs] queue_size``)."""
        from esign_adapters.ops.log_writer import BatchLogWriter

        logs = self.settings.file_values.get("logs", {})
        capacity = int(logs.get("queue_size", 10_000)) if isinstance(logs, dict) else 10_000
        return BatchLogWriter(self.system_log.write_many, capacity=capacity)

    # -- directory sync (集成中心 → 组织成员同步; docs/org-sync.md) -------------------------------
    def org_sync_store(self) -> Any:
        """Directory sync's store (the batch import's sink plus sources, reports, links)."""
        from esign_adapters.db.org_sync_store import SqlOrgSyncStore

        if self.engine is None:
            raise ConfigurationError("directory sync needs the SQL database")
        return SqlOrgSyncStore(self.engine)

    @staticmethod
    def org_sync_connector(source: str) -> str | None:
        """The 集成中心 → 连接器 code whose settings a sync source uses (DingTalk, WeCom), or None
        when the source keeps its own settings (e-cology): those connectors have ONE place for
        their settings, the ConnectorSettings section (docs/org-sync.md)."""
        from esign_core.model.connectors import CONNECTORS

        return next((c.code for c in CONNECTORS if c.configurable and c.directory == source), None)

    def org_sync_config(self, source: str, stored: Any = None) -> dict[str, Any]:
        """The settings (secrets sealed) a sync source is built from: the connector's
        ConnectorSettings for DingTalk / WeCom, else the source's own ``stored`` config."""
        code = self.org_sync_connector(source)
        if code is None:
            return dict(stored or {})
        from esign_core.model.connectors import ConnectorSettings

        with self.uow() as uow:
            return uow.settings.get(ConnectorSettings).config(code)

    def org_directory(self, source: Any) -> Any:
        """The OrgDirectory connector of a SyncSource (its sealed secrets opened); DingTalk and
        WeCom from their ConnectorSettings (集成中心 → 连接器)."""
        from esign_adapters.org_sync.registry import load_directory

        config = self.org_sync_config(source.source, source.config)
        if not config:
            raise ConfigurationError(f"{source.source} is not configured yet: 集成中心 → 连接器 / "
                                     "set it up under Integration → Connectors", field="source")
        return load_directory(source.source, config, secrets=self.secrets)

    def configure_org_sync(self, source: str, config: dict[str, Any] | None = None, *, member_sync: bool = True,
                           scopes: Any = None, actor: tuple[str, str | None] = ("cli", None)) -> Any:
        """Save a connector's settings (secret fields sealed; None keeps the stored ones), checked
        by building the connector; ``scopes`` (SyncScope tuple) None keeps the chosen companies.
        DingTalk / WeCom settings are written to their ConnectorSettings (audited as ``actor``),
        the one place both console pages read them from.
        Raises ConfigurationError for a bad setting, DomainError when another system is already
        the member-sync source."""
        from esign_adapters.org_sync.registry import directory_class, open_config, seal_config
        from esign_core.services.org_sync import ConfigureSyncSource, configure_sync_source

        store = self.org_sync_store()
        code = self.org_sync_connector(source)
        if code is not None:  # DingTalk / WeCom: the settings live in ConnectorSettings only
            from esign_adapters import connectors_admin

            if config:
                connectors_admin.save(self, code, config, actor=actor)
            elif not self.org_sync_config(source):
                raise ConfigurationError(f"{source} is not configured yet: 集成中心 → 连接器 / "
                                         "set it up under Integration → Connectors", field="source")
            return configure_sync_source(ConfigureSyncSource(source=source, config={}, member_sync=member_sync,
                                                             scopes=scopes),
                                         store=store, clock=self.clock, ids=self.ids)
        with store:
            current = store.source(source)
        stored = dict(current.config) if current is not None else {}
        sealed = stored if config is None else seal_config(source, config, secrets=self.secrets, keep=stored)
        directory_class(source).from_config(open_config(source, sealed, secrets=self.secrets),
                                            secrets=self.secrets).close()
        return configure_sync_source(ConfigureSyncSource(source=source, config=sealed, member_sync=member_sync,
                                                         scopes=scopes),
                                     store=store, clock=self.clock, ids=self.ids)

    def sync_directory(self, source: str | None = None, *, trigger: str = "manual",
                       progress: Callable[[str], None] | None = None) -> Any:
        """Run (or resume) a directory sync; returns the SyncReport (see sync_directory)."""
        from esign_core.services.org_sync import SyncDirectory, sync_directory

        return sync_directory(SyncDirectory(source=source, trigger=trigger), store=self.org_sync_store(),
                              directories=self.org_directory, uow=self.uow_factory(), clock=self.clock,
                              ids=self.ids, progress=progress)

    def uow(self) -> UnitOfWork:
        return self.uow_factory()

    def search_audit(self, query: Any) -> list[Any]:
        """The console audit trail (an AuditQuery): in the database with its index, or by
        reading the evidence log when there is no SQL engine (the in-memory platform)."""
        if self.engine is None:
            from esign_core.services.audit import search_audit

            return search_audit(query, uow=self.uow())
        from esign_adapters.db.audit import SqlAuditTrail

        return SqlAuditTrail(self.engine).search(query)

    @property
    def product_code(self) -> str:
        return product_code(self.settings.data_dir)

    # -- database -------------------------------------------------------------------------------
    def schema_ready(self) -> bool:
        if self.engine is None:
            return True
        from esign_adapters.db.migrate import needs_upgrade

        return not needs_upgrade(self.engine)

    def migrate(self) -> None:
        if self.engine is not None:
            from esign_adapters.db.migrate import upgrade

            upgrade(self.engine)

    def is_initialized(self) -> bool:
        if self._initialized:
            return True
        if not self.schema_ready():
            return False
        self._initialized = setup.is_initialized(uow=self.uow_factory())
        return self._initialized

    def use_database(self, url: str) -> None:
        """The wizard's database step: test the connection, migrate, then remember the URL in
        esign.toml. Raises DatabaseError with a readable reason; the config is only written when
        everything succeeded. Refused once the platform is initialised."""
        from esign_adapters.db.engine import check_connection, make_engine
        from esign_adapters.db.migrate import upgrade
        from esign_adapters.db.uow import SqlUnitOfWork

        if self.is_initialized():
            raise DomainError("the platform is initialised; its database cannot be switched here")
        check_connection(url)
        engine = make_engine(url)
        upgrade(engine)
        with self._lock:
            self.settings = self.settings.save(database={"url": url})
            old, self.engine = self.engine, engine
            self.uow_factory = lambda: SqlUnitOfWork(engine, ids=self.ids, clock=self.clock)
        if old is not None:
            old.dispose()

    # -- activation -----------------------------------------------------------------------------
    def initialize(
        self, cmd: InitializePlatform, *, offline_token: bytes | None = None, licence_image: bytes | None = None
    ) -> setup.InitResult:
        """Run the activation. With the external API switched off, the offline token file and the
        business-licence image are required and placed in the config directory. On any error
        nothing is left behind: files are removed again if the database transaction fails."""
        if cmd.product_code != self.product_code:
            raise InvalidValue("product_code", "product code does not belong to this installation")
        placed: list[Path] = []
        if not cmd.use_external_api:
            if not offline_token or not offline_token.strip():
                raise InvalidValue(
                    "offline_token", "with the external API switched off, the offline token file is required"
                )
            if not licence_image or not licence_image.startswith(PNG_MAGIC):
                raise InvalidValue(
                    "licence_image", "with the external API switched off, the business licence image (PNG) is required"
                )
        if not self.schema_ready():
            self.migrate()
        self.settings.config_dir.mkdir(parents=True, exist_ok=True)
        pki_dir = self.settings.data_dir / "pki"
        made_ca = False
        try:
            if not self.ca.is_initialized():  # activation also creates the internal CA
                self.ca.init(at=self.clock.now())
                made_ca = True
            if not cmd.use_external_api:
                assert offline_token is not None and licence_image is not None
                for name, data in ((OFFLINE_TOKEN_FILE, offline_token), (LICENCE_IMAGE_FILE, licence_image)):
                    target = self.settings.config_dir / name
                    if target.exists():
                        raise ConfigurationError(f"{target} already exists; remove it first")
                    write_atomic(target, data, mode=0o600)
                    placed.append(target)
            result = self.handle(cmd)
        except BaseException:
            for p in placed:
                p.unlink(missing_ok=True)
            if made_ca:  # a CA made for a failed activation must not linger
                shutil.rmtree(pki_dir, ignore_errors=True)
                self.__dict__.pop("ca", None)
            raise
        self._initialized = True
        return result
