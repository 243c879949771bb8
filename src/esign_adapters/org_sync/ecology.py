"""Weaver e-cology's ``HrmService`` (SOAP, XFire) as an :class:`~esign_core.ports.org_directory.OrgDirectory`.

The admin enters the webservice address (``http://oa/services/HrmService``) and the
targetNamespace (manual 二.1.1 ③). The WSDL is read from ``<address>?wsdl`` with zeep under
``Settings(forbid_dtd, forbid_entities, forbid_external)``; the endpoint is **always** the
address entered (``create_service``), never the one the WSDL advertises (often an internal host).

Sub-companies and departments are read with ``getHrmSubcompanyInfo`` / ``getHrmDepartmentInfo``
and zeep's own deserialisation. Users are read with ``getHrmUserInfo`` one department at a time
(``in2`` = sub-company, ``in3`` = department) so that one answer stays small; their envelope is
built by zeep but the answer is taken raw and read with zeep's hardened parser and a direct walk
over the ``UserBean`` elements: zeep's generic deserialisation costs about 1 ms per 55-field bean,
two minutes for 100,000 users (ADR 0039). ``in0`` is ignored by e-cology (it checks the caller's
real IP against ``HrmWebserviceIP.properties``); a nil user answer means this host is not on
that list, which is reported as such rather than read as "no users".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from esign_core.errors import ConfigurationError
from esign_core.ports.org_directory import OrgDirectoryError, OrgPerson, OrgUnit, UnitKind

DEFAULT_NAMESPACE = "http://localhost/services/HrmService"
BEAN_NS = "http://webservice.hrm.weaver"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
#: e-cology HrmResource.status: 0 试用, 1 正式, 2 临时, 3 试用延期 are working; 4 解聘, 5 离职,
#: 6 退休, 7 无效 are not.
ACTIVE_STATUSES = frozenset({"0", "1", "2", "3"})
_USER_FIELDS = ("userid", "lastname", "workcode", "mobile", "email", "loginid", "status", "departmentid",
                "subcompanyid1")
_USER_TAGS = {f"{{{BEAN_NS}}}{f}": f for f in _USER_FIELDS}
_USER_BEAN = f"{{{BEAN_NS}}}UserBean"


@attrs.frozen
class ConfigField:
    name: str
    label: str
    required: bool = False
    secret: bool = False
    default: str = ""
    help: str = ""


#: A failure's reason is cut to this many characters: zeep puts the whole answer into some of its
#: messages ("Content: b'...'"), and an OA's answer can be megabytes of people's data.
MAX_REASON = 300


def _short(text: str) -> str:
    """One line, without the raw answer zeep appends, at most MAX_REASON characters."""
    text = " ".join(str(text).split("\nContent:", 1)[0].split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _order(value: Any) -> float:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return 0.0


def _parent(value: Any) -> str | None:
    text = _text(value)
    return None if text in (None, "0", "-1") else text


class EcologyOrgDirectory:
    """Reads one e-cology HrmService. Build with :meth:`from_config`; :meth:`close` releases the
    HTTP session. Every failure is an :class:`OrgDirectoryError` with a message for the report."""

    source = "ecology"
    label = "泛微 e-cology (HrmService)"
    config_fields = (
        ConfigField("address", "webservice地址", required=True,
                    help="http://oa.example.com/services/HrmService"),
        ConfigField("namespace", "targetNamespace", default=DEFAULT_NAMESPACE),
        ConfigField("timeout", "超时（秒） / timeout (s)", default="30"),
    )

    def __init__(self, *, address: str, namespace: str = DEFAULT_NAMESPACE, timeout: float = 30.0,
                 wsdl_url: str | None = None) -> None:
        self.address = address
        self.namespace = namespace
        self.timeout = timeout
        self.wsdl_url = wsdl_url or address + "?wsdl"
        self._client: Any = None
        self._service: Any = None
        self._departments: dict[tuple[str, ...], list[OrgUnit]] = {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, secrets: Any = None) -> EcologyOrgDirectory:
        known = {f.name for f in cls.config_fields} | {"wsdl_url"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ConfigurationError(f"e-cology: unknown setting(s): {', '.join(unknown)}", field=unknown[0])
        address = str(config.get("address") or "").strip()
        if not address.lower().startswith(("http://", "https://")):
            raise ConfigurationError("e-cology: the webservice address must be an http(s) URL, "
                                     "e.g. http://oa.example.com/services/HrmService", field="address")
        namespace = str(config.get("namespace") or "").strip() or DEFAULT_NAMESPACE
        try:
            timeout = float(config.get("timeout") or 30)
        except (TypeError, ValueError):
            raise ConfigurationError("e-cology: the timeout must be a number of seconds", field="timeout") from None
        if not 0 < timeout <= 600:
            raise ConfigurationError("e-cology: the timeout must be between 0 and 600 seconds", field="timeout")
        return cls(address=address.split("?")[0], namespace=namespace, timeout=timeout,
                   wsdl_url=str(config.get("wsdl_url") or "").strip() or None)

    # -- zeep ---------------------------------------------------------------------------------------
    def _svc(self) -> Any:
        if self._service is not None:
            return self._service
        try:
            import zeep
            from zeep.transports import Transport
        except ModuleNotFoundError as exc:  # pragma: no cover - depends on the installation
            raise ConfigurationError("the e-cology connector needs zeep: pip install 'esign[oa]'",
                                     hint="pip install 'esign[oa]'") from exc
        settings = zeep.Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True,
                                 xml_huge_tree=False)
        try:
            transport = Transport(timeout=self.timeout, operation_timeout=self.timeout)
            self._client = zeep.Client(self.wsdl_url, transport=transport, settings=settings)
            self._service = self._client.create_service(f"{{{self.namespace}}}HrmServiceHttpBinding", self.address)
        except Exception as exc:
            self.close()
            raise self._error("reading the WSDL", exc) from exc
        return self._service

    def _error(self, what: str, exc: BaseException) -> OrgDirectoryError:
        import requests
        from zeep import exceptions as zx

        if isinstance(exc, OrgDirectoryError):
            return exc
        if isinstance(exc, zx.DTDForbidden | zx.EntitiesForbidden):
            reason = "the answer contains a DTD or XML entities, which are refused (XXE protection)"
        elif isinstance(exc, zx.Fault):
            reason = f"SOAP fault: {exc.message}"
        elif isinstance(exc, requests.Timeout):
            reason = f"no answer within {self.timeout:g} s"
        elif isinstance(exc, requests.ConnectionError):
            reason = "cannot connect (is the address right, is the OA up?)"
        elif isinstance(exc, requests.HTTPError):
            reason = f"HTTP {exc.response.status_code if exc.response is not None else '?'}"
        elif isinstance(exc, ValueError) and "binding" in str(exc).lower():
            reason = (f"no HrmServiceHttpBinding in namespace {self.namespace!r}: check the targetNamespace "
                      f"({exc})")
        elif isinstance(exc, zx.Error):
            reason = f"{type(exc).__name__}: {exc}"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        return OrgDirectoryError(f"e-cology {self.address}: {what} failed: {_short(reason)}")

    def _call(self, operation: str, *args: str | None) -> Any:
        svc = self._svc()
        params = {f"in{i}": v for i, v in enumerate(args)}
        try:
            return getattr(svc, operation)(**params)
        except Exception as exc:
            raise self._error(operation, exc) from exc

    # -- OrgDirectory ---------------------------------------------------------------------------
    def companies(self) -> list[OrgUnit]:
        beans = self._call("getHrmSubcompanyInfo", None) or []
        try:
            return self._companies(beans)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise OrgDirectoryError(f"e-cology {self.address}: getHrmSubcompanyInfo: unexpected answer "
                                    f"({_short(type(exc).__name__ + ': ' + str(exc))})") from exc

    def _companies(self, beans: Any) -> list[OrgUnit]:
        out = []
        for b in beans:
            ext_id = _text(b["_subcompanyid"])
            if ext_id is None:
                continue
            out.append(OrgUnit(external_id=ext_id, kind=UnitKind.COMPANY,
                               name=_text(b["_shortname"]) or _text(b["_fullname"]) or ext_id,
                               parent_id=_parent(b["_supsubcompanyid"]), code=_text(b["_code"]),
                               order=_order(b["_showorder"]), disabled=_text(b["_canceled"]) == "1"))
        return out

    def departments(self, company_ids: Sequence[str]) -> list[OrgUnit]:
        key = tuple(company_ids)
        cached = self._departments.get(key)
        if cached is None:  # one answer per run: the sync asks again when it reads the people
            cached = self._departments[key] = self._read_departments(company_ids)
        return list(cached)

    def _read_departments(self, company_ids: Sequence[str]) -> list[OrgUnit]:
        beans = self._call("getHrmDepartmentInfo", None, ",".join(company_ids) or None) or []
        try:
            return self._departments_of(beans, company_ids)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise OrgDirectoryError(f"e-cology {self.address}: getHrmDepartmentInfo: unexpected answer "
                                    f"({_short(type(exc).__name__ + ': ' + str(exc))})") from exc

    def _departments_of(self, beans: Any, company_ids: Sequence[str]) -> list[OrgUnit]:
        wanted = set(company_ids)
        out = []
        for b in beans:
            ext_id, company = _text(b["_departmentid"]), _text(b["_subcompanyid"])
            if ext_id is None or company is None or (wanted and company not in wanted):
                continue
            out.append(OrgUnit(external_id=ext_id, kind=UnitKind.DEPARTMENT,
                               name=_text(b["_shortname"]) or _text(b["_fullname"]) or ext_id,
                               parent_id=_parent(b["_supdepartmentid"]), company_id=company,
                               code=_text(b["_code"]), order=_order(b["_showorder"]),
                               disabled=_text(b["_canceled"]) == "1"))
        return out

    def people(self, company_ids: Sequence[str], department_ids: Sequence[str] = ()) -> Iterator[OrgPerson]:
        departments = list(department_ids)
        if not departments:
            departments = [d.external_id for d in self.departments(company_ids)]
        wanted = set(company_ids)
        for dept in departments:
            for person in self._users(None, dept):
                if not wanted or person.company_id in wanted:
                    yield person

    def _users(self, company_id: str | None, department_id: str | None) -> Iterator[OrgPerson]:
        svc = self._svc()
        from zeep.loader import parse_xml

        try:
            with self._client.settings(raw_response=True):
                response = svc.getHrmUserInfo(in0=None, in1=None, in2=company_id, in3=department_id, in4=None,
                                              in5=None)
            root = parse_xml(response.content, self._client.transport, settings=self._client.settings)
        except Exception as exc:
            raise self._error(f"getHrmUserInfo (department {department_id})", exc) from exc
        body = root.find(f"{{{SOAP_NS}}}Body")
        if body is None or len(body) == 0:
            raise OrgDirectoryError(f"e-cology {self.address}: getHrmUserInfo: HTTP {response.status_code} "
                                    "without a SOAP body")
        answer = body[0]
        if answer.tag == f"{{{SOAP_NS}}}Fault":
            fault = _short(answer.findtext("faultstring") or "") or "(no faultstring)"
            raise OrgDirectoryError(f"e-cology {self.address}: getHrmUserInfo (department {department_id}) "
                                    f"failed: SOAP fault: {fault}")
        if answer.tag != f"{{{self.namespace}}}getHrmUserInfoResponse":
            raise OrgDirectoryError(f"e-cology {self.address}: getHrmUserInfo (department {department_id}) "
                                    f"failed: unexpected answer {_short(str(answer.tag))}")
        out = answer.find(f"{{{self.namespace}}}out")
        if out is None or out.get(XSI_NIL) == "true":
            raise OrgDirectoryError(
                f"e-cology {self.address}: getHrmUserInfo answered nothing: the OA only gives users to "
                "allowed callers; add this server's IP to HrmWebserviceIP.properties (manual 二.1.1 ③ 注2)")
        for bean in out.iterchildren(_USER_BEAN):
            values: dict[str, str | None] = {}
            for el in bean.iterchildren():
                name = _USER_TAGS.get(el.tag)
                if name is not None:
                    values[name] = el.text
            person = self._person(values)
            if person is not None:
                yield person

    @staticmethod
    def _person(v: Mapping[str, str | None]) -> OrgPerson | None:
        ext_id = _text(v.get("userid"))
        if ext_id is None:
            return None
        department = _text(v.get("departmentid"))
        return OrgPerson(external_id=ext_id, name=_text(v.get("lastname")) or ext_id,
                         company_id=_text(v.get("subcompanyid1")) or "",
                         department_ids=(department,) if department else (), number=_text(v.get("workcode")),
                         mobile=_text(v.get("mobile")), email=_text(v.get("email")), login=_text(v.get("loginid")),
                         disabled=(_text(v.get("status")) or "1") not in ACTIVE_STATUSES)

    def close(self) -> None:
        client, self._client, self._service = self._client, None, None
        self._departments = {}
        if client is not None:
            session = getattr(client.transport, "session", None)
            if session is not None:
                session.close()


__all__ = ["ACTIVE_STATUSES", "DEFAULT_NAMESPACE", "EcologyOrgDirectory"]
