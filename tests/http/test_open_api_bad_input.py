"""Bad input on the open API's parameter parsing (issue 12): generated JSON and form bodies, and
broken bodies, against the real app through the test client. Never a 500 without an error logged
with the request id it answers; a parameter error answers ``code`` 1000001 and its message names
the field; every answer is the envelope; each request stays within a time bound."""

from __future__ import annotations

import json
import logging
import os
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_open_api import world  # noqa: F401 - the fixture

from tests.campaign.bounds import EXAMPLES

FIELDS = ["contractId", "bizId", "tenantName", "subject", "documents", "signatories", "actions", "locations",
          "stampers", "sealId", "contact", "cardNo", "page", "offsetX", "offsetY", "x", "y", "send", "expireTime",
          "endTime", "serialNo", "tenantType", "type", "rectType", "documentId", "sealStr", "useDefaultSeal",
          "categoryId", "ordinal", "creatorContact", "businessData", "keyword", "receiverName", "actionId"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=30), st.sampled_from(["1", "0", "-1", "9" * 30, "", " ", "2099-12-31 23:59:59",
                                                           "SEAL_CORPORATE", "PERSONAL", "CORPORATE", "李四",
                                                           "13900001111", "data:image/png;base64,@@"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=5),
                      max_leaves=20)
bodies = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
JSON_PATHS = ["/contract/createbycategory", "/contract/create", "/contract/send", "/contract/signbycompany",
              "/contract/signbylegalperson", "/contract/signbyperson", "/contract/signurl", "/contract/audit"]
FORM_PATHS = ["/contract/recall", "/contract/delete", "/contract/cancel", "/document/createbyfile",
              "/document/addbyfile"]
GET_PATHS = ["/contract/detail", "/contract/download", "/seal/list", "/contract/categories", "/document/download"]
NAMES_A_FIELD = re.compile(r"^[A-Za-z][\w.\[\]-]*: ")
SLOW = 10.0
QUICK = settings(max_examples=EXAMPLES, deadline=None, derandomize="ESIGN_PROPERTY_EXAMPLES" not in os.environ,
                 database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def check(response, caplog) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """The invariants of one answer."""
    if response.status_code >= 500:
        body = response.json()
        rid = body.get("request_id")
        logged = [r for r in caplog.records if r.levelno >= logging.ERROR and rid and rid in r.getMessage()]
        assert logged and logged[0].exc_info, f"a {response.status_code} without a logged cause: {body}"
        pytest.fail(f"500 (logged) for a bad input: {logged[0].exc_info[1]!r}")
    assert response.status_code in (200, 401), (response.status_code, response.text)
    body = response.json()
    assert isinstance(body.get("code"), int) and isinstance(body.get("message"), str), body
    if body["code"] == 1000001 and not body["message"].startswith("操作被拒绝"):
        assert NAMES_A_FIELD.match(body["message"]), f"a parameter error that names no field: {body}"
    return body  # type: ignore[no-any-return]


@QUICK
@given(path=st.sampled_from(JSON_PATHS), body=bodies)
def test_generated_json_bodies(world, caplog, path: str, body: dict) -> None:  # type: ignore[no-untyped-def, type-arg]  # noqa: F811
    api = world["api"]
    caplog.set_level(logging.INFO)
    start = time.monotonic()
    check(api.post_json(path, body), caplog)
    assert time.monotonic() - start < SLOW


@QUICK
@given(path=st.sampled_from(JSON_PATHS), raw=st.one_of(
    st.binary(max_size=200), values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"{", b"[]", b"null", b'{"contractId": 1e999}', b'{"contractId": NaN}',
                     b'{"a":' * 200 + b"1" + b"}" * 200, b'"\\ud800"', b'{"subject": "\\u0000"}'])))
def test_broken_json_bodies(world, caplog, path: str, raw: bytes) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    api = world["api"]
    caplog.set_level(logging.INFO)
    headers = {**api.headers(), "content-type": "application/json"}
    check(api.http.post(f"/open{path}", content=raw, headers=headers), caplog)


@QUICK
@given(path=st.sampled_from(FORM_PATHS),
       form=st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=30), max_size=6),
       upload=st.none() | st.binary(max_size=300))
def test_generated_form_bodies(world, caplog, path: str, form: dict, upload: bytes | None) -> None:  # type: ignore[no-untyped-def, type-arg]  # noqa: F811
    api = world["api"]
    caplog.set_level(logging.INFO)
    files = {"file": ("x.pdf", upload, "application/pdf")} if upload is not None else None
    check(api.post_form(path, form, files=files), caplog)


@QUICK
@given(path=st.sampled_from(GET_PATHS), query=st.dictionaries(st.sampled_from(FIELDS + ["companyName"]),
                                                             st.text(max_size=30), max_size=4))
def test_generated_query_parameters(world, caplog, path: str, query: dict) -> None:  # type: ignore[no-untyped-def, type-arg]  # noqa: F811
    api = world["api"]
    caplog.set_level(logging.INFO)
    response = api.get(path, **query)
    if response.headers.get("content-type", "").startswith("application/json"):
        check(response, caplog)
    else:
        assert response.status_code == 200


def test_digits_that_int_cannot_read_are_parameter_errors(world, caplog) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """'¹' and '①' are ``str.isdigit()`` but not ``int()``-able: found by the generated queries."""
    api = world["api"]
    caplog.set_level(logging.INFO)
    for value in ("¹", "①", "²³"):
        body = check(api.get("/contract/detail", contractId=value), caplog)
        assert body["code"] == 1000001 and body["message"].startswith("contractId: "), body
        body = check(api.post_json("/contract/send", {"contractId": value}), caplog)
        assert body["code"] == 1000001 and body["message"].startswith("contractId: "), body
    # a latin-1 header byte 0xB9 reads as '¹': the request is unauthenticated, not a crash
    headers = {**api.headers(), "x-qys-timestamp": b"\xb9"}
    response = api.http.post("/open/contract/send", json={"contractId": "1"}, headers=headers)
    assert response.status_code == 401, response.text


def test_a_body_that_is_not_a_json_object_is_named(world, caplog) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    api = world["api"]
    caplog.set_level(logging.INFO)
    for raw in (b"", b"[]", b"{", b"null"):
        response = api.http.post("/open/contract/send", content=raw,
                                 headers={**api.headers(), "content-type": "application/json"})
        body = check(response, caplog)
        assert body["code"] == 1000001 and body["message"].startswith("body: "), body
