"""Value objects: identity numbers, contact points, digests and stamp positions."""

from __future__ import annotations

import re
from datetime import date

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.cn import uscc as stdnum_uscc

from esign_core.errors import InvalidValue
from esign_core.values import (
    BlobRef,
    Digest,
    Email,
    IdNumber,
    Indication,
    KeywordPosition,
    PagePosition,
    Phone,
    SignatureReport,
    Uscc,
    ValidationReport,
    contact_of,
    mask_id_number,
    mask_phone,
)

VALID_USCC = "91350100M000100Y43"
VALID_ID = "11010519491231002X"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
MOBILE = re.compile(r"1[3-9][0-9]{9}")


# -- unified social credit code ----------------------------------------------------------------


def test_uscc_with_valid_check_character_is_accepted() -> None:
    assert Uscc(VALID_USCC).value == VALID_USCC
    assert str(Uscc(VALID_USCC)) == VALID_USCC


def test_uscc_is_stripped_and_upper_cased() -> None:
    assert Uscc("  91350100m000100y43 ").value == VALID_USCC


@pytest.mark.parametrize("check", [c for c in USCC_ALPHABET if c != "3"][:8] + ["I", "Z"])
def test_uscc_with_changed_check_character_is_refused(check: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        Uscc(VALID_USCC[:-1] + check)
    assert exc.value.field == "uscc"
    assert exc.value.fields["field"] == "uscc"
    assert exc.value.code == "domain.invalid_value"


@pytest.mark.parametrize("raw", ["", "91350100M000100Y4", "91350100M000100Y433", "9135010AM000100Y43"])
def test_uscc_of_wrong_length_or_format_is_refused(raw: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        Uscc(raw)
    assert exc.value.field == "uscc"


def test_uscc_is_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Uscc(VALID_USCC).value = "x"  # type: ignore[misc]


def test_uscc_written_with_separators_is_stored_compact() -> None:
    assert Uscc("9135 0100-M000100Y43") == Uscc(VALID_USCC)


_uscc_bodies = st.builds(
    lambda digits, rest: digits + rest,
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)


@given(_uscc_bodies)
def test_any_uscc_with_computed_check_character_round_trips(body: str) -> None:
    number = body + stdnum_uscc.calc_check_digit(body)
    code = Uscc(number)
    assert code.value == number
    assert Uscc(str(code)) == code


@given(_uscc_bodies, st.sampled_from(USCC_ALPHABET))
def test_any_uscc_with_another_check_character_is_refused(body: str, check: str) -> None:
    if check == stdnum_uscc.calc_check_digit(body):
        check = USCC_ALPHABET[(USCC_ALPHABET.index(check) + 1) % len(USCC_ALPHABET)]
    with pytest.raises(InvalidValue):
        Uscc(body + check)


# -- resident ID number ------------------------------------------------------------------------


def test_id_number_is_accepted_and_knows_the_birth_date() -> None:
    number = IdNumber(VALID_ID)
    assert number.value == VALID_ID
    assert number.birth_date == date(1949, 12, 31)


def test_id_number_check_x_may_be_lower_case() -> None:
    assert IdNumber("11010519491231002x").value == VALID_ID


@pytest.mark.parametrize("check", ["0", "1", "9"])
def test_id_number_with_bad_check_digit_is_refused(check: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        IdNumber(VALID_ID[:-1] + check)
    assert exc.value.field == "id_number"


@pytest.mark.parametrize("birth", ["19491331", "19490230", "19490001"])
def test_id_number_with_impossible_birth_date_is_refused(birth: str) -> None:
    body = "110105" + birth + "002"
    number = body + ric.calc_check_digit(body + "0")  # the check digit itself is right
    with pytest.raises(InvalidValue) as exc:
        IdNumber(number)
    assert exc.value.field == "id_number"


def test_id_number_of_wrong_length_is_refused() -> None:
    with pytest.raises(InvalidValue):
        IdNumber(VALID_ID[:-1])


def test_id_number_repr_and_error_are_masked() -> None:
    number = IdNumber(VALID_ID)
    assert VALID_ID not in repr(number)
    assert repr(number) == "IdNumber('110*************2X')"
    assert number.masked == "110*************2X"
    with pytest.raises(InvalidValue) as exc:
        IdNumber("110105194912310021")
    assert "110105194912310021" not in str(exc.value)


# -- mobile numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["+86 138-1234-5678", "8613812345678", "+8613812345678", "138 1234 5678", "13812345678"]
)
def test_phone_accepts_prefixes_and_separators_and_normalises(raw: str) -> None:
    assert Phone(raw).value == "13812345678"
    assert str(Phone(raw)) == "13812345678"


def test_phone_repr_is_masked() -> None:
    phone = Phone("13812345678")
    assert "13812345678" not in repr(phone)
    assert repr(phone) == "Phone('138****5678')"
    assert phone.masked == "138****5678"


@pytest.mark.parametrize(
    "raw",
    [
        "12345678901",
        "010-12345678",
        "02012345678",
        "0591-87654321",
        "1381234567",
        "138123456789",
        "",
        "abc",
        "+1 415 555 0100",
    ],
)
def test_phone_refuses_non_mobile_numbers(raw: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        Phone(raw)
    assert exc.value.field == "mobile"


def test_phone_error_message_does_not_show_the_full_number() -> None:
    with pytest.raises(InvalidValue) as exc:
        Phone("12345678901")
    assert "12345678901" not in str(exc.value)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_any_mainland_mobile_is_accepted(number: str) -> None:
    assert Phone(number).value == number
    assert Phone("+86 " + number).value == number


@given(st.text(alphabet="0123456789", min_size=11, max_size=11).filter(lambda s: not MOBILE.fullmatch(s)))
def test_any_other_eleven_digit_string_is_refused(number: str) -> None:
    with pytest.raises(InvalidValue):
        Phone(number)


def test_masking_short_values_hides_everything() -> None:
    assert mask_phone("123") == "****"
    assert mask_id_number("12345") == "****"


# -- e-mail ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("li.si@example.com", "li.si@example.com"),
        ("  Li.Si+tag@Mail.Example.COM ", "Li.Si+tag@mail.example.com"),
        ("a@b.cn", "a@b.cn"),
    ],
)
def test_email_is_accepted_with_domain_lower_cased(raw: str, stored: str) -> None:
    assert Email(raw).value == stored
    assert str(Email(raw)) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "no-at-sign",
        "a@b",
        "a b@example.com",
        "a@@example.com",
        "@example.com",
        "a@-example.com",
        "a@example..com",
        "x" * 250 + "@example.com",
    ],
)
def test_email_refuses_malformed_addresses(raw: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        Email(raw)
    assert exc.value.field == "email"


def test_contact_is_an_email_when_it_has_an_at_sign_and_a_phone_otherwise() -> None:
    assert contact_of(" a@example.com ") == Email("a@example.com")
    assert contact_of("+86 13812345678") == Phone("13812345678")
    with pytest.raises(InvalidValue):
        contact_of("not a contact")


# -- digests and blobs -------------------------------------------------------------------------


def test_digest_needs_64_hex_characters_and_is_lower_cased() -> None:
    digest = Digest("AB" * 32)
    assert digest.hex == "ab" * 32
    assert str(digest) == "sha256:" + "ab" * 32


@pytest.mark.parametrize("raw", ["", "a" * 63, "a" * 65, "g" * 64, "sha256:" + "a" * 64])
def test_digest_refuses_anything_but_64_hex(raw: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        Digest(raw)
    assert exc.value.field == "digest"


def test_blob_ref_refuses_negative_size() -> None:
    digest = Digest("0" * 64)
    assert BlobRef("local", "k", 0, digest).size == 0
    with pytest.raises(InvalidValue) as exc:
        BlobRef("local", "k", -1, digest)
    assert exc.value.field == "size"


# -- stamp positions ---------------------------------------------------------------------------


@pytest.mark.parametrize("page, x, y", [(1, 0.0, 0.0), (0, 1.0, 1.0), (-1, 0.5, 0.25), (99, 0.0, 1.0)])
def test_page_position_accepts_pages_from_minus_one_and_fractions_in_unit_range(page: int, x: float, y: float) -> None:
    pos = PagePosition(page, x, y)
    assert (pos.page, pos.offset_x, pos.offset_y) == (page, x, y)


@pytest.mark.parametrize(
    "page, x, y, field",
    [
        (-2, 0.5, 0.5, "page"),
        (1, -0.01, 0.5, "offset_x"),
        (1, 1.01, 0.5, "offset_x"),
        (1, 0.5, -0.5, "offset_y"),
        (1, 0.5, 2.0, "offset_y"),
        (1, float("nan"), 0.5, "offset_x"),
    ],
)
def test_page_position_refuses_out_of_bounds(page: int, x: float, y: float, field: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        PagePosition(page, x, y)
    assert exc.value.field == field


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.integers(min_value=-1, max_value=10_000))
def test_any_page_position_within_bounds_is_accepted(x: float, y: float, page: int) -> None:
    assert PagePosition(page, x, y).offset_x == x


@given(st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1 + 1e-9)).filter(lambda v: v == v))
def test_any_page_offset_outside_unit_range_is_refused(x: float) -> None:
    with pytest.raises(InvalidValue):
        PagePosition(1, x, 0.5)


def test_keyword_position_defaults_to_first_occurrence_without_offset() -> None:
    pos = KeywordPosition("甲方（盖章）")
    assert (pos.keyword_index, pos.offset_x, pos.offset_y) == (1, 0.0, 0.0)


@pytest.mark.parametrize("index", [-1, 0, 1, 7])
def test_keyword_position_accepts_index_from_minus_one(index: int) -> None:
    assert KeywordPosition("乙方", keyword_index=index).keyword_index == index


@pytest.mark.parametrize("x, y", [(-1.0, 1.0), (1.0, -1.0), (0.0, 0.0)])
def test_keyword_position_accepts_offsets_from_minus_one_to_one(x: float, y: float) -> None:
    assert KeywordPosition("乙方", offset_x=x, offset_y=y).offset_y == y


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"keyword": "乙方", "keyword_index": -2}, "keywordIndex"),
        ({"keyword": "乙方", "offset_x": -1.01}, "offset_x"),
        ({"keyword": "乙方", "offset_y": 1.5}, "offset_y"),
        ({"keyword": ""}, "keyword"),
        ({"keyword": "   "}, "keyword"),
    ],
)
def test_keyword_position_refuses_bad_values(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        KeywordPosition(**kwargs)  # type: ignore[arg-type]
    assert exc.value.field == field


# -- validation reports ------------------------------------------------------------------------


def _sig(indication: Indication) -> SignatureReport:
    return SignatureReport(field_name="Signature1", indication=indication)


@pytest.mark.parametrize(
    "indications, bottom_line",
    [
        ((), Indication.INDETERMINATE),
        ((Indication.TOTAL_PASSED, Indication.TOTAL_PASSED), Indication.TOTAL_PASSED),
        ((Indication.TOTAL_PASSED, Indication.INDETERMINATE), Indication.INDETERMINATE),
        ((Indication.INDETERMINATE, Indication.TOTAL_FAILED, Indication.TOTAL_PASSED), Indication.TOTAL_FAILED),
    ],
)
def test_validation_report_bottom_line_is_the_worst_signature(
    indications: tuple[Indication, ...], bottom_line: Indication
) -> None:
    report = ValidationReport(tuple(_sig(i) for i in indications))
    assert report.indication is bottom_line
