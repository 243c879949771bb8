"""The static WSDL of Weaver e-cology's ``HrmService`` as XFire publishes it (integrations.md §6):
namespace ``http://localhost/services/HrmService``, portType ``HrmServicePortType``, binding
``HrmServiceHttpBinding``, port ``HrmServiceHttpPort``, SOAP 1.1 document/literal wrapped with
``soapAction=""``; parameters ``in0..inN`` (``xsd:string``, ``minOccurs=1``, ``nillable=true``)
and the result element ``out``; the beans in ``http://webservice.hrm.weaver``.

The text is fixed (it does not depend on the data served); it is written out from the tables
below only so that 19 operations and four beans cannot drift apart by a typo."""

from __future__ import annotations

TNS = "http://localhost/services/HrmService"
BEAN_NS = "http://webservice.hrm.weaver"
#: What the real WSDL advertises is often an internal host; ours is unreachable on purpose, so
#: a client that does not override the address fails loudly.
ADVERTISED_ADDRESS = "http://oa.internal.invalid:8088/services/HrmService"

SUBCOMPANY_FIELDS = ("_canceled", "_code", "_fullname", "_shortname", "_showorder", "_subcompanyid",
                     "_supsubcompanyid", "_website", "action", "lastChangdate")
DEPARTMENT_FIELDS = ("_canceled", "_code", "_departmentid", "_fullname", "_shortname", "_showorder",
                     "_subcompanyid", "_supdepartmentid", "action", "lastChangdate")
JOBTITLE_FIELDS = ("_code", "_departmentid", "_fullname", "_jobcompetency", "_jobdoc", "_jobresponsibility",
                   "_jobtitleid", "_jobtitleremark", "_lastChangdate", "_shortname", "action")
USER_FIELDS = (
    "accounttype", "assistantid", "bememberdate", "bepartydate", "birthday", "certificatenum", "createdate",
    "degree", "departmentcode", "departmentid", "departmentname", "dsporder", "educationlevel", "email",
    "enddate", "fax", "folk", "healthinfo", "height", "homeaddress", "islabouunion", "jobactivitydesc",
    "jobactivityid", "jobcall", "jobgroupid", "joblevel", "jobtitle", "lastChangdate", "lastname",
    "locationid", "loginid", "managerid", "maritalstatus", "mobile", "mobilecall", "nativeplace", "password",
    "policy", "regresidentplace", "residentplace", "seclevel", "sex", "startdate", "status", "subcompanycode",
    "subcompanyid1", "subcompanyname", "systemlanguage", "telephone", "tempresidentnumber", "userid", "weight",
    "workcode", "workroom",
)
#: XFire maps Java primitives to non-nillable XSD types.
USER_TYPES = {"accounttype": "xsd:int", "userid": "xsd:int", "dsporder": "xsd:float"}
BEANS = {"SubCompanyBean": SUBCOMPANY_FIELDS, "DepartmentBean": DEPARTMENT_FIELDS, "JobTitleBean": JOBTITLE_FIELDS,
         "UserBean": USER_FIELDS}

#: operation → (number of in-parameters, result type)
OPERATIONS: dict[str, tuple[int, str]] = {
    "getHrmSubcompanyInfoXML": (1, "xsd:string"),
    "getHrmDepartmentInfoXML": (2, "xsd:string"),
    "getHrmJobTitleInfoXML": (3, "xsd:string"),
    "getHrmUserInfoXML": (6, "xsd:string"),
    "getHrmSubcompanyInfo": (1, "ns1:ArrayOfSubCompanyBean"),
    "getHrmDepartmentInfo": (2, "ns1:ArrayOfDepartmentBean"),
    "getHrmJobTitleInfo": (3, "ns1:ArrayOfJobTitleBean"),
    "getHrmUserInfo": (6, "ns1:ArrayOfUserBean"),
    "SynSubCompany": (2, "xsd:string"),
    "SynDepartment": (2, "xsd:string"),
    "SynJobtitle": (2, "xsd:string"),
    "SynHrmResource": (2, "xsd:string"),
    "checkUser": (3, "xsd:boolean"),
    "changeUserPassword": (3, "xsd:boolean"),
    "getPropValue": (2, "xsd:string"),
    "loadTemplateProp": (1, "xsd:string"),
    "writeLog": (1, "xsd:string"),
    "writeLog1": (1, "xsd:string"),
    "getClientIpXfire": (0, "xsd:string"),
}


def _field(name: str, type_: str) -> str:
    nillable = "" if type_ in ("xsd:int", "xsd:float") else ' nillable="true"'
    return f'<xsd:element minOccurs="0" name="{name}"{nillable} type="{type_}"/>'


def _bean_types() -> str:
    out = []
    for bean, fields in BEANS.items():
        out.append(f'<xsd:complexType name="ArrayOf{bean}"><xsd:sequence><xsd:element maxOccurs="unbounded" '
                   f'minOccurs="0" name="{bean}" nillable="true" type="ns1:{bean}"/></xsd:sequence>'
                   '</xsd:complexType>')
        body = "".join(_field(f, USER_TYPES.get(f, "xsd:string") if bean == "UserBean" else "xsd:string")
                       for f in fields)
        out.append(f'<xsd:complexType name="{bean}"><xsd:sequence>{body}</xsd:sequence></xsd:complexType>')
    return "\n".join(out)


def _wrappers() -> str:
    out = []
    for op, (n, result) in OPERATIONS.items():
        params = "".join(f'<xsd:element maxOccurs="1" minOccurs="1" name="in{i}" nillable="true" type="xsd:string"/>'
                         for i in range(n))
        out.append(f'<xsd:element name="{op}"><xsd:complexType><xsd:sequence>{params}</xsd:sequence>'
                   '</xsd:complexType></xsd:element>')
        out.append(f'<xsd:element name="{op}Response"><xsd:complexType><xsd:sequence><xsd:element maxOccurs="1" '
                   f'minOccurs="1" name="out" nillable="true" type="{result}"/></xsd:sequence></xsd:complexType>'
                   '</xsd:element>')
    return "\n".join(out)


def _messages() -> str:
    return "\n".join(
        f'<wsdl:message name="{op}{io}"><wsdl:part name="parameters" element="tns:{op}{el}"/></wsdl:message>'
        for op in OPERATIONS for io, el in (("Request", ""), ("Response", "Response")))


def _port_type() -> str:
    ops = "".join(f'<wsdl:operation name="{op}"><wsdl:input name="{op}Request" message="tns:{op}Request"/>'
                  f'<wsdl:output name="{op}Response" message="tns:{op}Response"/></wsdl:operation>'
                  for op in OPERATIONS)
    return f'<wsdl:portType name="HrmServicePortType">{ops}</wsdl:portType>'


def _binding() -> str:
    ops = "".join(f'<wsdl:operation name="{op}"><wsdlsoap:operation soapAction=""/>'
                  f'<wsdl:input name="{op}Request"><wsdlsoap:body use="literal"/></wsdl:input>'
                  f'<wsdl:output name="{op}Response"><wsdlsoap:body use="literal"/></wsdl:output></wsdl:operation>'
                  for op in OPERATIONS)
    return ('<wsdl:binding name="HrmServiceHttpBinding" type="tns:HrmServicePortType">'
            '<wsdlsoap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>'
            f'{ops}</wsdl:binding>')


WSDL = f"""<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions targetNamespace="{TNS}" xmlns:ns1="{BEAN_NS}" \
xmlns:soapenc12="http://www.w3.org/2003/05/soap-encoding" xmlns:tns="{TNS}" \
xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" \
xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsdlsoap="http://schemas.xmlsoap.org/wsdl/soap/" \
xmlns:soapenc11="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soap12="http://www.w3.org/2003/05/soap-envelope">
<wsdl:types>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" attributeFormDefault="qualified" \
elementFormDefault="qualified" targetNamespace="{TNS}">
{_wrappers()}
</xsd:schema>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" attributeFormDefault="qualified" \
elementFormDefault="qualified" targetNamespace="{BEAN_NS}">
{_bean_types()}
</xsd:schema>
</wsdl:types>
{_messages()}
{_port_type()}
{_binding()}
<wsdl:service name="HrmService"><wsdl:port name="HrmServiceHttpPort" binding="tns:HrmServiceHttpBinding">\
<wsdlsoap:address location="{ADVERTISED_ADDRESS}"/></wsdl:port></wsdl:service>
</wsdl:definitions>
"""
