"""The message bus: commands go to exactly one handler, events to any number. Handlers are plain
functions whose keyword parameters are filled by name from the dependencies given to
:func:`build_bus` (``uow``, ``clock``, ``ids``, ``hasher``, ``licences``, ``ca``, ``signer``, ``screener``,
``validator``, ``blobs`` (the BlobStore), ``renderer`` (the SealRenderer), ``converter`` (the DocumentConverter),
``template_renderer`` (the TemplateRenderer), …)."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any

from esign_core.errors import ConfigurationError
from esign_core.model.base import Event
from esign_core.ports import UnitOfWork
from esign_core.services import (
    admins,
    auth,
    categories,
    certificates,
    cluster,
    connectors,
    console_factors,
    contract_ending,
    contract_queries,
    contract_signing,
    contracts,
    directory,
    document_build,
    document_watermark,
    documents,
    external_identity,
    integration,
    licensing,
    messaging,
    notifications,
    org_admin,
    orgs,
    outbox,
    personal_signing,
    seal_apply,
    seal_devices,
    seal_queries,
    seal_used_files,
    seals,
    settings,
    setup,
    signing,
    signing_password,
    signing_services,
    sso,
    statistics,
    templates,
    ukeys,
)
from esign_core.services import commands as c

log = logging.getLogger(__name__)

COMMAND_HANDLERS: dict[type[c.Command], Callable[..., Any]] = {
    seals.AddSealType: seals.add_seal_type,
    seals.ChangeSealType: seals.change_seal_type,
    seals.CreateSeal: seals.create_seal,
    seals.AuthorizeSeal: seals.authorize_seal,
    c.InitializePlatform: setup.initialize_platform,
    c.LoginAdmin: auth.login_admin,
    c.InstallLicence: licensing.install_licence,
    c.AddInternalEnterprise: orgs.add_internal_enterprise,
    c.AddExternalEnterprise: orgs.add_external_enterprise,
    c.ChangeSettings: settings.change_settings,
    admins.CreateRole: admins.create_role,
    admins.ChangeRole: admins.change_role,
    admins.CreateAdminAccount: admins.create_admin_account,
    admins.ChangeAdminAccount: admins.change_admin_account,
    admins.ChangeOwnPassword: admins.change_own_password,
    admins.BindTotp: admins.bind_totp,
    admins.UnbindTotp: admins.unbind_totp,
    console_factors.AcceptTotpStep: console_factors.accept_totp_step,
    certificates.IssueLongTermCertificate: certificates.issue_long_term_certificate,
    certificates.ImportCertificate: certificates.import_certificate,
    certificates.RevokeCertificate: certificates.revoke_certificate,
    ukeys.RegisterUKey: ukeys.register_ukey,
    ukeys.ChangeUKeyStatus: ukeys.change_ukey_status,
    signing.SignPdf: signing.sign_pdf,
    signing.VerifyPdf: signing.verify_pdf,
    signing_services.ConfigureSigningProvider: signing_services.configure_signing_provider,
    signing_services.RemoveSigningProvider: signing_services.remove_signing_provider,
    signing_services.SetSigningFailover: signing_services.set_signing_failover,
    signing_services.AuthenticateRemoteSigner: signing_services.authenticate_remote_signer,
    categories.CreateCategory: categories.create_category,
    categories.ChangeCategory: categories.change_category,
    documents.CreateDocument: documents.create_document,
    document_build.BuildDocument: document_build.build_document,
    document_watermark.WatermarkDocument: document_watermark.watermark_document,
    signing_password.SetSigningPassword: signing_password.set_signing_password,
    signing_password.CheckSigningPassword: signing_password.check_signing_password,
    documents.AddDocumentToContract: documents.add_document_to_contract,
    documents.RemoveDocumentFromContract: documents.remove_document_from_contract,
    contracts.CreateContract: contracts.create_contract,
    contracts.SendContract: contracts.send_contract,
    contracts.AddCopyReceivers: contracts.add_copy_receivers,
    contracts.DeleteContract: contracts.delete_contract,
    contract_signing.SignAsCompany: contract_signing.sign_as_company,
    contract_signing.SignAsLegalPerson: contract_signing.sign_as_legal_person,
    contract_signing.Approve: contract_signing.approve,
    personal_signing.SignAsPerson: personal_signing.sign_as_person,
    contract_ending.RejectContract: contract_ending.reject_contract,
    contract_ending.RecallContract: contract_ending.recall_contract,
    contract_ending.VoidContract: contract_ending.void_contract,
    contract_ending.ExpireContracts: contract_ending.expire_contracts,
    contract_ending.ListExpiryReminders: contract_ending.list_expiry_reminders,
    contract_ending.FinishContract: contract_ending.finish_contract,
    contract_ending.ForceFinishContract: contract_ending.force_finish_contract,
    contract_queries.GetContract: contract_queries.get_contract,
    contract_queries.GetContractFiles: contract_queries.get_contract_files,
    contract_queries.GetDocumentFile: contract_queries.get_document_file,
    contract_queries.ListCategories: contract_queries.list_categories,
    contract_queries.ListSeals: contract_queries.list_seals,
    integration.CreateApp: integration.create_app,
    integration.AuthenticateApp: integration.authenticate_app,
    integration.ResetAppSecret: integration.reset_app_secret,
    integration.ChangeApp: integration.change_app,
    sso.RedeemSsoTicket: sso.redeem_sso_ticket,
    external_identity.VerifyExternalIdentity: external_identity.verify_external_identity,
    templates.CreateTemplate: templates.create_template,
    templates.CreateDocumentFromTemplate: templates.create_document_from_template,
    templates.ChangeTemplateStatus: templates.change_template_status,
    templates.ListTemplates: templates.list_templates,
    outbox.ListOutboxMessages: outbox.list_outbox_messages,
    outbox.GetOutboxMessage: outbox.get_outbox_message,
    outbox.ResendOutboxMessage: outbox.resend_outbox_message,
    notifications.SendSignLink: notifications.send_sign_link,
    notifications.SendExpiryReminders: notifications.send_expiry_reminders,
    **seal_devices.HANDLERS,
    **seal_apply.HANDLERS,
    **seal_queries.HANDLERS,
    **seal_used_files.HANDLERS,
    **directory.HANDLERS,
    **org_admin.HANDLERS,
    **statistics.HANDLERS,
    messaging.SaveSmsTemplate: messaging.save_sms_template,
    messaging.SetSmsEventEnabled: messaging.set_sms_event_enabled,
    messaging.SaveSmsChannel: messaging.save_sms_channel,
    messaging.UseSmsChannel: messaging.use_sms_channel,
    connectors.SaveConnectorSettings: connectors.save_connector_settings,
    messaging.ConfigureMail: messaging.configure_mail,
    messaging.SaveMailTemplate: messaging.save_mail_template,
    messaging.SetNoticeEnabled: messaging.set_notice_enabled,
    messaging.NotifySealEvent: messaging.notify_seal_event,
    **cluster.HANDLERS,
}

EVENT_HANDLERS: dict[type[Event], list[Callable[..., Any]]] = {}


@functools.cache
def _dependency_names(handler: Callable[..., Any]) -> tuple[str, ...]:
    """The keyword dependencies of a handler (all parameters but the message), read once: the bus
    is built for every command, and ``inspect.signature`` of ~120 handlers cost ~9 ms a time."""
    return tuple(inspect.signature(handler).parameters)[1:]


def _inject(handler: Callable[..., Any], deps: Mapping[str, Any], *, strict: bool) -> Callable[[Any], Any]:
    """Bind a handler's keyword dependencies by name. Event handlers are ``strict`` (a missing
    dependency is a wiring bug, refused when the bus is built, since their failures are only
    logged); a command handler whose dependency is missing refuses that command alone."""
    params = _dependency_names(handler)
    missing = [p for p in params if p not in deps]
    if missing and strict:
        raise TypeError(f"{handler.__qualname__} needs dependencies not given to the bus: {missing}")
    if missing:
        # A bus wired without, say, a CA still serves every other command; this one says why not.
        def unavailable(message: Any) -> Any:
            raise ConfigurationError(
                f"{type(message).__name__} needs {', '.join(missing)}, which this platform was not given"
            )

        return unavailable
    kwargs = {p: deps[p] for p in params}
    return lambda message: handler(message, **kwargs)


class MessageBus:
    def __init__(
        self,
        *,
        uow: UnitOfWork,
        command_handlers: Mapping[type, Callable[[Any], Any]],
        event_handlers: Mapping[type, list[Callable[[Any], Any]]],
    ) -> None:
        self.uow = uow
        self._commands = command_handlers
        self._events = event_handlers

    def handle(self, command: c.Command) -> Any:
        """Run the command's handler, then every handler of the events it caused. Errors of the
        command propagate; errors of event handlers are logged and do not undo the command."""
        handler = self._commands.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        try:
            result = handler(command)
        finally:
            queue = self.uow.collect_new_events()
            self._dispatch(queue)
        return result

    def _dispatch(self, queue: list[Event]) -> None:
        while queue:
            event = queue.pop(0)
            for h in self._events.get(type(event), []):
                try:
                    h(event)
                except Exception:
                    log.exception("event handler failed for %s", type(event).__name__)
                queue.extend(self.uow.collect_new_events())


def build_bus(**deps: Any) -> MessageBus:
    """Wire every handler with its dependencies (``uow`` is required)."""
    return MessageBus(
        uow=deps["uow"],
        command_handlers={t: _inject(h, deps, strict=False) for t, h in COMMAND_HANDLERS.items()},
        event_handlers={t: [_inject(h, deps, strict=True) for h in hs] for t, hs in EVENT_HANDLERS.items()},
    )
