"""Bad input for the e-cology connector (issue #12 item 3): hostile or broken answers served over
real HTTP by the HrmService test server (its ``rewrite`` hook) — random text, truncated XML, deep
nesting, DTD / entity payloads, wrong values, missing and unknown fields, renamed elements, SOAP
faults — read through :class:`EcologyOrgDirectory` as a sync reads it (companies, departments,
people). Whatever the answer, the outcome is a correct result or an :class:`OrgDirectoryError`
whose message names the OA and the failing step; never another exception, never an entity
expanded, and always within a bounded time. Hypothesis, bounded (``max_examples``, a deadline)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esign_adapters.org_sync.ecology import EcologyOrgDirectory
from esign_adapters.testing.hrm_soap_server import HrmSoapServer, sample_organization
from esign_adapters.testing.hrm_wsdl import DEPARTMENT_FIELDS, SUBCOMPANY_FIELDS, USER_FIELDS
from esign_core.ports.org_directory import OrgDirectoryError, OrgPerson, OrgUnit, UnitKind

OPS = ("getHrmSubcompanyInfo", "getHrmDepartmentInfo", "getHrmUserInfo")
FIELDS = {"getHrmSubcompanyInfo": SUBCOMPANY_FIELDS, "getHrmDepartmentInfo": DEPARTMENT_FIELDS,
          "getHrmUserInfo": USER_FIELDS}
#: per example: WSDL + three operations (one per department for the people) on a shared 2-core box
TIME_LIMIT_S = 10.0
SECRET_FILE_TEXT = "TOP-SECRET-ON-THE-SYNC-HOST"

Mutation = Callable[[str], str]


@pytest.fixture(scope="module")
def oa() -> Iterator[HrmSoapServer]:
    with HrmSoapServer(sample_organization(2, 2, 2)) as server:
        yield server


# -- mutations of one answer ------------------------------------------------------------------

def _out_open(xml: str) -> int:
    """Index just after the ``<ns1:out ...>`` opening tag (or after ``...Response>``)."""
    m = re.search(r"<ns1:out[^>]*?>", xml) or re.search(r"Response[^>]*>", xml)
    assert m is not None
    return m.end()


@st.composite
def random_text(draw: st.DrawFn) -> Mutation:
    junk = draw(st.one_of(st.binary(max_size=600).map(lambda b: b.decode("latin-1")), st.text(max_size=300)))
    inside = draw(st.booleans())
    return lambda xml: (xml[:_out_open(xml)] + junk + xml[_out_open(xml):]) if inside else junk


@st.composite
def truncated(draw: st.DrawFn) -> Mutation:
    fraction = draw(st.floats(0, 1, exclude_max=True))
    return lambda xml: xml[: int(len(xml) * fraction)]


@st.composite
def deep_nesting(draw: st.DrawFn) -> Mutation:
    depth = draw(st.integers(50, 20_000))
    tag = draw(st.sampled_from(["ns2:UserBean", "ns2:SubCompanyBean", "x"]))
    nest = f"<{tag}>" * depth + f"</{tag}>" * depth
    return lambda xml: xml[:_out_open(xml)] + nest + xml[_out_open(xml):]


ENTITY_PAYLOADS = (
    # billion laughs
    '<!DOCTYPE soap:Envelope [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY x "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    # external file
    '<!DOCTYPE soap:Envelope [<!ENTITY x SYSTEM "file://{secret}">]>',
    # external parameter entity (out-of-band)
    '<!DOCTYPE soap:Envelope [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p; <!ENTITY x "y">]>',
    # harmless-looking internal entity: still refused
    '<!DOCTYPE soap:Envelope [<!ENTITY x "分部X">]>',
)


@st.composite
def entities(draw: st.DrawFn) -> Mutation:
    doctype = draw(st.sampled_from(ENTITY_PAYLOADS))
    declaration = draw(st.booleans())

    def apply(xml: str) -> str:
        # the entity is used where a name or an ID would be read
        used = re.sub(r"(<ns2:(?:_shortname|lastname|_subcompanyid|userid)>)[^<]*", r"\1&x;", xml, count=3)
        return ('<?xml version="1.0" encoding="UTF-8"?>' if declaration else "") + doctype + used

    return apply


HOSTILE_VALUES = st.one_of(
    st.sampled_from(["", " ", "abc", "-1", "0", "1e309", "NaN", "9" * 400, "１２３", "null", "true",
                     "\u202e1", "<b>x</b>", "]]>"]),
    st.text(max_size=50),
)


@st.composite
def wrong_values(draw: st.DrawFn) -> Mutation:
    field = draw(st.sampled_from(sorted(set(SUBCOMPANY_FIELDS) | set(DEPARTMENT_FIELDS) | {
        "userid", "lastname", "mobile", "email", "loginid", "status", "departmentid", "subcompanyid1", "workcode",
        "dsporder", "accounttype"})))
    value = "".join(c for c in draw(HOSTILE_VALUES) if c in "\t\n\r" or (" " <= c and c not in "\ufffe\uffff"
                                                                         and not "\ud800" <= c <= "\udfff"))
    nil = draw(st.booleans()) and not value
    replacement = f'<ns2:{field} xsi:nil="true"/>' if nil else f"<ns2:{field}>{escape(value)}</ns2:{field}>"
    pattern = re.compile(rf'<ns2:{re.escape(field)}(?: xsi:nil="true"/>|>[^<]*</ns2:{re.escape(field)}>)')
    every = draw(st.booleans())
    return lambda xml: pattern.sub(replacement, xml, count=0 if every else 1)


@st.composite
def missing_or_unknown_fields(draw: st.DrawFn) -> Mutation:
    field = draw(st.sampled_from(sorted(set(SUBCOMPANY_FIELDS) | set(DEPARTMENT_FIELDS) | set(USER_FIELDS))))
    pattern = re.compile(rf'<ns2:{re.escape(field)}(?: xsi:nil="true"/>|>[^<]*</ns2:{re.escape(field)}>)')
    if draw(st.booleans()):
        return lambda xml: pattern.sub("", xml)
    extra = draw(st.sampled_from(["<ns2:surprise>1</ns2:surprise>", "<other>1</other>", "<!-- c -->",
                                  "<?pi x?>", "<ns2:UserBean/>", "<ns2:SubCompanyBean/>"]))
    return lambda xml: pattern.sub(lambda m: m.group(0) + extra, xml, count=1)


@st.composite
def renamed(draw: st.DrawFn) -> Mutation:
    old, new = draw(st.sampled_from([
        ("ns1:out", "ns1:result"), ("http://webservice.hrm.weaver", "http://example.com/other"),
        ("http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"),
        ("soap:Body", "soap:Header"), ("Response ", "Reply "), ("ns2:UserBean", "ns2:userbean"),
        ("xsi:nil=\"true\"", "xsi:nil=\"maybe\""), ("UTF-8", "EBCDIC")]))
    return lambda xml: xml.replace(old, new)


@st.composite
def faults(draw: st.DrawFn) -> Mutation:
    message = escape(draw(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF,
                                                         exclude_categories=("Cs",)), max_size=200)))
    detail = draw(st.sampled_from(["", "<detail><x>&lt;y&gt;</x></detail>"]))
    body = (f"<soap:Fault><faultcode>soap:Server</faultcode><faultstring>{message}</faultstring>{detail}"
            "</soap:Fault>")
    return lambda xml: re.sub(r"<soap:Body>.*</soap:Body>", f"<soap:Body>{body}</soap:Body>", xml, flags=re.S)


MUTATIONS = st.one_of(random_text(), truncated(), deep_nesting(), entities(), wrong_values(),
                      missing_or_unknown_fields(), renamed(), faults())


# -- the campaign ------------------------------------------------------------------------------

def _read_all(directory: EcologyOrgDirectory) -> tuple[list[OrgUnit], list[OrgUnit], list[OrgPerson]]:
    companies = list(directory.companies())
    ids = [c.external_id for c in companies]
    return companies, list(directory.departments(ids)), list(directory.people(ids))


def _check_result(companies: list[OrgUnit], departments: list[OrgUnit], people: list[OrgPerson]) -> None:
    for unit in companies + departments:
        assert isinstance(unit, OrgUnit) and isinstance(unit.external_id, str) and unit.external_id.strip()
        assert isinstance(unit.name, str) and unit.name
    assert all(u.kind is UnitKind.COMPANY for u in companies)
    assert all(u.kind is UnitKind.DEPARTMENT and u.company_id for u in departments)
    for p in people:
        assert isinstance(p, OrgPerson) and p.external_id.strip() and p.name
        assert all(isinstance(v, str) for v in (p.mobile, p.email, p.login, p.number) if v is not None)
        assert SECRET_FILE_TEXT not in repr(p)


@settings(max_examples=50, deadline=timedelta(seconds=TIME_LIMIT_S), derandomize=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(op=st.sampled_from(OPS), mutation=MUTATIONS)
def test_hostile_answers_end_in_a_result_or_a_clear_error(oa: HrmSoapServer, tmp_path_factory, op: str,  # type: ignore[no-untyped-def]
                                                          mutation: Mutation) -> None:
    secret = tmp_path_factory.getbasetemp() / "secret.txt"
    secret.write_text(SECRET_FILE_TEXT)
    oa.app.rewrite = lambda answered, xml: mutation(xml).replace("{secret}", str(secret)) if answered == op else xml
    directory = EcologyOrgDirectory.from_config({"address": oa.address, "timeout": "5"})
    started = time.monotonic()
    try:
        result = _read_all(directory)
    except OrgDirectoryError as exc:
        message = str(exc)
        assert message.startswith(f"e-cology {oa.address}: "), message
        assert any(name in message for name in OPS) or "WSDL" in message, message
        assert SECRET_FILE_TEXT not in message and "aaaaaaaaaaaaaaaaaaaa" not in message
        # one short line for the sync report: never the raw answer (zeep appends it to some errors)
        assert len(message) <= len(oa.address) + 400 and "Content: b'" not in message, message[:500]
    else:
        _check_result(*result)
    finally:
        directory.close()
        oa.app.rewrite = None
    assert time.monotonic() - started < TIME_LIMIT_S


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("payload", range(len(ENTITY_PAYLOADS)))
def test_every_entity_payload_is_refused_as_xxe(oa: HrmSoapServer, tmp_path, op: str, payload: int) -> None:  # type: ignore[no-untyped-def]
    """Not left to chance: each DTD / entity payload on each operation is refused outright."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET_FILE_TEXT)
    doctype = ENTITY_PAYLOADS[payload].replace("{secret}", str(secret))
    oa.app.rewrite = lambda answered, xml: doctype + xml.replace("分部1", "&x;") if answered == op else xml
    directory = EcologyOrgDirectory.from_config({"address": oa.address, "timeout": "5"})
    try:
        with pytest.raises(OrgDirectoryError, match="DTD or XML entities, which are refused") as err:
            _read_all(directory)
        assert op in str(err.value) and SECRET_FILE_TEXT not in str(err.value)
    finally:
        directory.close()
        oa.app.rewrite = None


def test_untouched_answers_read_the_whole_organization(oa: HrmSoapServer) -> None:
    """The baseline the campaign mutates: 2 companies, 4 departments, 8 people."""
    directory = EcologyOrgDirectory.from_config({"address": oa.address, "timeout": "5"})
    try:
        companies, departments, people = _read_all(directory)
    finally:
        directory.close()
    _check_result(companies, departments, people)
    assert (len(companies), len(departments), len(people)) == (2, 4, 8)
