"""A protocol-faithful stand-in for Weaver e-cology's ``HrmService`` (integrations.md §6): the static
XFire-style WSDL of :mod:`hrm_wsdl` at ``/services/HrmService?wsdl`` and a small WSGI responder that
answers the query operations from an in-memory organization that tests change between syncs.

Faithful where a client can tell: document/literal wrapped SOAP 1.1, ``in0`` ignored and the
caller's IP (``X-Forwarded-For`` → ``Proxy-Client-IP`` → remote address) checked against an
allow-list (user and job-title queries then answer nil, ``Syn*`` answers ``<message value="2">``),
SOAP Faults with HTTP 500 for unknown operations and malformed requests, a DTD in a request refused,
``getHrmUserInfo`` narrowed by sub-company / department ID lists (``in2`` / ``in3``). Bean XML is
rendered once per record and cached, so 100,000 users are served in well under a second each
round."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from xml.sax.saxutils import escape

from lxml import etree

from esign_adapters.testing.hrm_wsdl import (
    BEAN_NS,
    DEPARTMENT_FIELDS,
    OPERATIONS,
    SUBCOMPANY_FIELDS,
    TNS,
    USER_FIELDS,
    WSDL,
)

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PATH = "/services/HrmService"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class SubCompany:
    id: str
    name: str
    parent_id: str = "0"
    code: str = ""
    order: str = "0"
    canceled: bool = False


@dataclass(frozen=True)
class Department:
    id: str
    company_id: str
    name: str
    parent_id: str = "0"
    code: str = ""
    order: str = "0"
    canceled: bool = False


@dataclass(frozen=True)
class User:
    """``status``: 0 试用, 1 正式, 2 临时, 3 试用延期 (active); 4 解聘, 5 离职, 6 退休, 7 无效."""

    id: int
    name: str
    department_id: str
    company_id: str
    workcode: str = ""
    mobile: str | None = None
    email: str | None = None
    loginid: str | None = None
    status: int = 1
    order: float = 0.0
    password: str | None = None


def _el(ns_prefix: str, name: str, value: object) -> str:
    if value is None:
        return f'<{ns_prefix}{name} xsi:nil="true"/>'
    return f"<{ns_prefix}{name}>{escape(str(value))}</{ns_prefix}{name}>"


@dataclass
class HrmOrganization:
    """The in-memory OA organization. Change it with the methods (they keep the render cache right)."""

    companies: dict[str, SubCompany] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    _rendered: dict[int, str] = field(default_factory=dict, repr=False)
    _by_department: dict[str, list[int]] | None = field(default=None, repr=False)

    def put_company(self, company: SubCompany) -> None:
        self.companies[company.id] = company

    def put_department(self, department: Department) -> None:
        self.departments[department.id] = department

    def put_user(self, user: User) -> None:
        old = self.users.get(user.id)
        self.users[user.id] = user
        self._rendered.pop(user.id, None)
        if old is None or old.department_id != user.department_id:
            self._by_department = None

    def change_user(self, user_id: int, **changes: Any) -> User:
        user = replace(self.users[user_id], **changes)
        if "department_id" in changes and "company_id" not in changes:
            user = replace(user, company_id=self.departments[user.department_id].company_id)
        self.put_user(user)
        return user

    def remove_user(self, user_id: int) -> None:
        del self.users[user_id]
        self._rendered.pop(user_id, None)
        self._by_department = None

    # -- rendering ------------------------------------------------------------------------------
    def user_ids(self, company_ids: set[str] | None, department_ids: set[str] | None) -> Iterator[int]:
        if department_ids is not None:
            if self._by_department is None:
                index: dict[str, list[int]] = {}
                for u in self.users.values():
                    index.setdefault(u.department_id, []).append(u.id)
                self._by_department = index
            for d in department_ids:
                for uid in self._by_department.get(d, ()):
                    if company_ids is None or self.users[uid].company_id in company_ids:
                        yield uid
            return
        for u in self.users.values():
            if company_ids is None or u.company_id in company_ids:
                yield u.id

    def user_bean(self, user_id: int) -> str:
        cached = self._rendered.get(user_id)
        if cached is None:
            cached = self._rendered[user_id] = _user_bean(self, self.users[user_id])
        return cached


def _user_values(org: HrmOrganization, u: User) -> dict[str, object]:
    dept = org.departments.get(u.department_id)
    company = org.companies.get(u.company_id)
    return {
        "accounttype": 0, "certificatenum": "", "createdate": "2020-01-01", "departmentcode": dept.code if dept else "",
        "departmentid": u.department_id, "departmentname": dept.name if dept else "", "dsporder": u.order,
        "email": u.email, "jobtitle": "1", "lastChangdate": "2024-01-01", "lastname": u.name, "loginid": u.loginid,
        "managerid": "", "mobile": u.mobile, "password": "", "seclevel": "10", "sex": "0", "status": str(u.status),
        "subcompanycode": company.code if company else "", "subcompanyid1": u.company_id,
        "subcompanyname": company.name if company else "", "systemlanguage": "7", "telephone": "",
        "userid": u.id, "workcode": u.workcode,
    }


def _user_bean(org: HrmOrganization, u: User) -> str:
    values = _user_values(org, u)
    body = "".join(_el("ns2:", f, values.get(f)) for f in USER_FIELDS)
    return f"<ns2:UserBean>{body}</ns2:UserBean>"


def _company_values(c: SubCompany) -> dict[str, object]:
    return {"_canceled": "1" if c.canceled else "0", "_code": c.code, "_fullname": c.name, "_shortname": c.name,
            "_showorder": c.order, "_subcompanyid": c.id, "_supsubcompanyid": c.parent_id, "_website": "",
            "action": "", "lastChangdate": "2024-01-01"}


def _department_values(d: Department) -> dict[str, object]:
    return {"_canceled": "1" if d.canceled else "0", "_code": d.code, "_departmentid": d.id, "_fullname": d.name,
            "_shortname": d.name, "_showorder": d.order, "_subcompanyid": d.company_id,
            "_supdepartmentid": d.parent_id, "action": "", "lastChangdate": "2024-01-01"}


def _xml_variant(tag: str, rows: Iterable[dict[str, object]]) -> str:
    """The XStream strings of the ``*XML`` operations: no leading underscore on field names."""
    parts = [f"<{tag}-array>"]
    for values in rows:
        parts.append(f"<{tag}>" + "".join(f"<{k.lstrip('_')}>{escape(str(v))}</{k.lstrip('_')}>"
                                         for k, v in values.items() if v is not None) + f"</{tag}>")
    parts.append(f"</{tag}-array>")
    return "".join(parts)


class SoapFault(Exception):
    def __init__(self, message: str, code: str = "soap:Client") -> None:
        super().__init__(message)
        self.code = code


def _csv(value: str | None) -> set[str] | None:
    if value is None or not value.strip():
        return None
    return {v.strip() for v in value.split(",") if v.strip()}


class HrmServiceApp:
    """The WSGI application. ``allowed_ips`` None allows every caller (as when the OA's
    ``HrmWebserviceIP.properties`` lists this host); ``fail_when(operation, args)`` returning a
    message makes that call answer a SOAP Fault (to inject an interruption)."""

    def __init__(self, org: HrmOrganization | None = None, *, allowed_ips: set[str] | None = None) -> None:
        self.org = org or HrmOrganization()
        self.allowed_ips = allowed_ips
        self.fail_when: Callable[[str, list[str | None]], str | None] | None = None
        #: rewrites an answer's XML (op, xml) → xml, to serve hostile payloads (XXE) in tests
        self.rewrite: Callable[[str, str], str] | None = None
        self.calls: list[tuple[str, list[str | None]]] = []
        self.lock = threading.Lock()

    # -- WSGI -----------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") != PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if environ["REQUEST_METHOD"] == "GET":
            if environ.get("QUERY_STRING", "").lower() != "wsdl":
                start_response("200 OK", [("Content-Type", "text/html")])
                return [b"<html><body>HrmService: <a href='?wsdl'>wsdl</a></body></html>"]
            start_response("200 OK", [("Content-Type", "text/xml;charset=UTF-8")])
            return [WSDL.encode()]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        try:
            payload = self._dispatch(body, self._caller_ip(environ))
            status = "200 OK"
        except SoapFault as fault:
            payload = _fault(str(fault), fault.code)
            status = "500 Internal Server Error"
        data = payload.encode()
        start_response(status, [("Content-Type", "text/xml;charset=UTF-8"), ("Content-Length", str(len(data)))])
        return [data]

    @staticmethod
    def _caller_ip(environ: dict[str, Any]) -> str:
        for key in ("HTTP_X_FORWARDED_FOR", "HTTP_PROXY_CLIENT_IP"):
            value = (environ.get(key) or "").split(",")[0].strip()
            if value and value.lower() != "unknown":
                return value
        return str(environ.get("REMOTE_ADDR", ""))

    def _dispatch(self, body: bytes, ip: str) -> str:
        try:
            doc = etree.fromstring(body, _PARSER).getroottree()
        except etree.XMLSyntaxError as exc:
            raise SoapFault(f"Could not parse request: {exc}") from exc
        if doc.docinfo.doctype:
            raise SoapFault("DTDs are not allowed in SOAP messages")
        root = doc.getroot()
        body_el = root.find(f"{{{SOAP_NS}}}Body")
        if root.tag != f"{{{SOAP_NS}}}Envelope" or body_el is None or len(body_el) == 0:
            raise SoapFault("Invalid SOAP request: no Envelope/Body")
        call = body_el[0]
        qname = etree.QName(call)
        if qname.namespace != TNS or qname.localname not in OPERATIONS:
            raise SoapFault(f"Invalid operation: {call.tag}")
        op = qname.localname
        n = OPERATIONS[op][0]
        args: list[str | None] = []
        for i in range(n):
            el = call.find(f"{{{TNS}}}in{i}")
            if el is None:
                raise SoapFault(f"Missing parameter in{i} of {op}")  # minOccurs=1
            args.append(None if el.get(f"{{{XSI_NS}}}nil") == "true" else (el.text or ""))
        with self.lock:
            self.calls.append((op, args))
        if self.fail_when is not None:
            message = self.fail_when(op, args)
            if message:
                raise SoapFault(message, "soap:Server")
        allowed = self.allowed_ips is None or ip in self.allowed_ips
        out = self._answer(op, args, allowed, ip)
        xml = (f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
                f'xmlns:xsi="{XSI_NS}"><soap:Body><ns1:{op}Response xmlns:ns1="{TNS}">{out}'
                f"</ns1:{op}Response></soap:Body></soap:Envelope>")
        return self.rewrite(op, xml) if self.rewrite is not None else xml

    def _answer(self, op: str, args: list[str | None], allowed: bool, ip: str) -> str:
        org = self.org
        nil = '<ns1:out xsi:nil="true"/>'
        if op in ("getHrmSubcompanyInfo", "getHrmSubcompanyInfoXML"):
            rows = [_company_values(c) for c in org.companies.values()]
            return self._beans(op, "SubCompanyBean", rows, SUBCOMPANY_FIELDS)
        if op in ("getHrmDepartmentInfo", "getHrmDepartmentInfoXML"):
            wanted = _csv(args[1])
            rows = [_department_values(d) for d in org.departments.values() if wanted is None or d.company_id in wanted]
            return self._beans(op, "DepartmentBean", rows, DEPARTMENT_FIELDS)
        if op in ("getHrmUserInfo", "getHrmUserInfoXML", "getHrmJobTitleInfo", "getHrmJobTitleInfoXML"):
            if not allowed:
                return nil
            if op.startswith("getHrmJobTitle"):
                return '<ns1:out xmlns:ns2="' + BEAN_NS + '"/>' if op == "getHrmJobTitleInfo" else \
                    "<ns1:out>" + escape("<JobTitleBean-array></JobTitleBean-array>") + "</ns1:out>"
            workcode, companies, departments, lastmod = args[1], _csv(args[2]), _csv(args[3]), args[5]
            ids = [uid for uid in org.user_ids(companies, departments)
                   if (not workcode or org.users[uid].workcode == workcode) and not lastmod]
            if op == "getHrmUserInfoXML":
                rows = [{k: v for k, v in _user_values(org, org.users[i]).items()} for i in ids]
                return "<ns1:out>" + escape(_xml_variant("UserBean", rows)) + "</ns1:out>"
            return f'<ns1:out xmlns:ns2="{BEAN_NS}">' + "".join(org.user_bean(i) for i in ids) + "</ns1:out>"
        if op.startswith("Syn"):
            value = "2" if not allowed else "0"
            text = '<?xml version="1.0" encoding="UTF-8"?><result><message value="' + value + '">' + (
                "IP not allowed" if not allowed else "not supported by the test server") + "</message></result>"
            return "<ns1:out>" + escape(text) + "</ns1:out>"
        if op == "checkUser":
            ok = allowed and any(u.loginid == args[1] and u.password is not None and u.password == args[2]
                                 and u.status <= 3 for u in org.users.values())
            return f"<ns1:out>{'true' if ok else 'false'}</ns1:out>"
        if op == "changeUserPassword":
            return "<ns1:out>false</ns1:out>"
        if op == "getClientIpXfire":
            return f"<ns1:out>{escape(ip)}</ns1:out>"
        return nil

    @staticmethod
    def _beans(op: str, bean: str, rows: list[dict[str, object]], fields: tuple[str, ...]) -> str:
        if op.endswith("XML"):
            return "<ns1:out>" + escape(_xml_variant(bean, rows)) + "</ns1:out>"
        items = "".join(f"<ns2:{bean}>" + "".join(_el("ns2:", f, r.get(f)) for f in fields) + f"</ns2:{bean}>"
                        for r in rows)
        return f'<ns1:out xmlns:ns2="{BEAN_NS}">{items}</ns1:out>'


def _fault(message: str, code: str) -> str:
    return (f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body><soap:Fault><faultcode>{code}</faultcode>'
            f"<faultstring>{escape(message)}</faultstring></soap:Fault></soap:Body></soap:Envelope>")


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class HrmSoapServer:
    """``with HrmSoapServer(org) as server:`` serves on 127.0.0.1 at an ephemeral port;
    ``server.address`` is the webservice address an admin would enter."""

    def __init__(self, org: HrmOrganization | None = None, *, allowed_ips: set[str] | None = None) -> None:
        self.app = HrmServiceApp(org, allowed_ips=allowed_ips)
        self._server = make_server("127.0.0.1", 0, self.app, server_class=_ThreadingServer,
                                   handler_class=_QuietHandler)
        self._thread: threading.Thread | None = None

    @property
    def org(self) -> HrmOrganization:
        return self.app.org

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    def start(self) -> HrmSoapServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="hrm-soap", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> HrmSoapServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def sample_organization(companies: int = 3, departments_per_company: int = 3, users_per_department: int = 4,
                        ) -> HrmOrganization:
    """A deterministic organization: sub-company ``c`` (IDs 1..), departments ``c*100+d``, users
    with mobile ``139%08d`` (every 7th has only an e-mail)."""
    org = HrmOrganization()
    uid = 1
    for c in range(1, companies + 1):
        org.put_company(SubCompany(id=str(c), name=f"分部{c}", parent_id="0" if c == 1 else "1", code=f"C{c}",
                                   order=str(c)))
        for d in range(1, departments_per_company + 1):
            dept_id = str(c * 100 + d)
            parent = "0" if d == 1 else str(c * 100 + 1)
            org.put_department(Department(id=dept_id, company_id=str(c), name=f"部门{c}-{d}", parent_id=parent,
                                          code=f"D{dept_id}", order=str(d)))
            for _ in range(users_per_department):
                only_email = uid % 7 == 0
                org.put_user(User(id=uid, name=f"员工{uid}", department_id=dept_id, company_id=str(c),
                                  workcode=f"W{uid:06d}", mobile=None if only_email else f"139{uid:08d}",
                                  email=f"user{uid}@oa.example.com", loginid=f"user{uid}", order=float(uid)))
                uid += 1
    return org
