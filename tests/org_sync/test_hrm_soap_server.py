"""The HrmService test server is faithful where a client can tell (static XFire WSDL, nil
parameters, SOAP Faults, the caller-IP allow-list), and the e-cology connector is hardened
against what an OA could send (XXE in the WSDL, a wrong targetNamespace, a dead address)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import zeep
from lxml import etree

from esign_adapters.org_sync.ecology import EcologyOrgDirectory
from esign_adapters.testing.hrm_soap_server import HrmSoapServer, sample_organization
from esign_adapters.testing.hrm_wsdl import ADVERTISED_ADDRESS, OPERATIONS, TNS
from esign_core.errors import ConfigurationError
from esign_core.ports.org_directory import OrgDirectoryError

ENVELOPE = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:h="{tns}">'
            "<soap:Body>{body}</soap:Body></soap:Envelope>")


@pytest.fixture
def oa():  # type: ignore[no-untyped-def]
    with HrmSoapServer(sample_organization(2, 2, 2)) as server:
        yield server


def _post(oa: HrmSoapServer, body: str, **headers: str) -> requests.Response:
    return requests.post(oa.address, data=ENVELOPE.format(tns=TNS, body=body).encode(), timeout=5,
                         headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""', **headers})


def test_the_wsdl_is_xfire_shaped(oa: HrmSoapServer) -> None:
    wsdl = requests.get(oa.address + "?wsdl", timeout=5)
    assert wsdl.status_code == 200
    doc = etree.fromstring(wsdl.content)
    ns = {"wsdl": "http://schemas.xmlsoap.org/wsdl/", "xsd": "http://www.w3.org/2001/XMLSchema",
          "soap": "http://schemas.xmlsoap.org/wsdl/soap/"}
    assert doc.get("targetNamespace") == TNS
    assert {op.get("name") for op in doc.findall("wsdl:portType/wsdl:operation", ns)} == set(OPERATIONS)
    assert {a.get("soapAction") for a in doc.iterfind(".//soap:operation", ns)} == {""}
    params = doc.find(".//xsd:element[@name='getHrmUserInfo']", ns).findall(".//xsd:element", ns)
    assert [(p.get("name"), p.get("minOccurs"), p.get("nillable")) for p in params] == [
        (f"in{i}", "1", "true") for i in range(6)]
    assert doc.find(".//soap:address", ns).get("location") == ADVERTISED_ADDRESS
    client = zeep.Client(oa.address + "?wsdl")
    assert f"{{{TNS}}}HrmServiceHttpBinding" in client.wsdl.bindings


def test_unknown_operation_and_missing_parameter_are_soap_faults(oa: HrmSoapServer) -> None:
    r = _post(oa, "<h:dropAllUsers/>")
    assert r.status_code == 500 and "<faultstring>Invalid operation: {" + TNS + "}dropAllUsers" in r.text
    r = _post(oa, "<h:getHrmSubcompanyInfo/>")
    assert r.status_code == 500 and "Missing parameter in0" in r.text
    r = _post(oa, '<h:getHrmSubcompanyInfo><h:in0 xsi:nil="true" '
                  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></h:getHrmSubcompanyInfo>')
    assert r.status_code == 200 and "分部1" in r.text


def test_caller_ip_allow_list_follows_x_forwarded_for(oa: HrmSoapServer) -> None:
    oa.app.allowed_ips = {"10.0.0.8"}
    ask = ("<h:getHrmUserInfo>" + "".join(f"<h:in{i}/>" for i in range(6)) + "</h:getHrmUserInfo>")
    refused = _post(oa, ask)
    assert 'xsi:nil="true"' in refused.text and "UserBean" not in refused.text
    allowed = _post(oa, ask, **{"X-Forwarded-For": "10.0.0.8, 192.168.1.1"})
    assert allowed.text.count("<ns2:UserBean>") == 8
    syn = _post(oa, "<h:SynHrmResource><h:in0/><h:in1/></h:SynHrmResource>")
    assert "message value=&quot;2&quot;" in syn.text or 'message value="2"' in syn.text.replace("&quot;", '"')
    ip = _post(oa, "<h:getClientIpXfire/>", **{"Proxy-Client-IP": "10.9.9.9"})
    assert "<ns1:out>10.9.9.9</ns1:out>" in ip.text


def test_a_request_with_a_dtd_is_refused(oa: HrmSoapServer) -> None:
    body = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>'
            + ENVELOPE.format(tns=TNS, body="<h:getHrmSubcompanyInfo><h:in0>&e;</h:in0></h:getHrmSubcompanyInfo>"))
    r = requests.post(oa.address, data=body.encode(), timeout=5, headers={"Content-Type": "text/xml"})
    assert r.status_code == 500 and "DTD" in r.text


def test_connector_refuses_an_xxe_wsdl(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("TOP")
    wsdl = tmp_path / "hrm.wsdl"
    wsdl.write_text(f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
                    '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">&x;</wsdl:definitions>')
    d = EcologyOrgDirectory(address="http://127.0.0.1:9/services/HrmService", wsdl_url=str(wsdl))
    with pytest.raises(OrgDirectoryError, match="DTD or XML entities, which are refused"):
        d.companies()


def test_wrong_namespace_and_bad_settings_are_clear(oa: HrmSoapServer) -> None:
    d = EcologyOrgDirectory.from_config({"address": oa.address, "namespace": "http://example.com/Wrong"})
    with pytest.raises(OrgDirectoryError, match="check the targetNamespace"):
        d.companies()
    for bad, field in (({"address": "oa.example.com"}, "address"), ({"address": oa.address, "timeout": "x"},
                                                                    "timeout"),
                       ({"address": oa.address, "password": "x"}, "password")):
        with pytest.raises(ConfigurationError) as err:
            EcologyOrgDirectory.from_config(bad)
        assert err.value.fields.get("field") == field or field in err.value.message


def test_a_slow_oa_times_out_with_a_clear_message(oa: HrmSoapServer) -> None:
    import time

    d = EcologyOrgDirectory.from_config({"address": oa.address, "timeout": "0.5"})
    d.companies()
    oa.app.fail_when = lambda op, args: time.sleep(2) or None  # type: ignore[func-returns-value]
    with pytest.raises(OrgDirectoryError, match="no answer within 0.5 s"):
        d.departments(["1"])
    d.close()
