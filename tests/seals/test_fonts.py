"""The CJK fonts shipped in esign_adapters.fonts: present, small, licensed, covering, no tofu."""

from __future__ import annotations

from pathlib import Path

import pytest

import esign_adapters.fonts as fonts
from esign_adapters.fonts import (
    FontFace,
    cjk_font_path,
    draws_notdef,
    font_covers,
    handwriting_font_path,
    missing_characters,
    resolve_faces,
)
from esign_core.errors import InvalidValue

PACKAGE_DIR = Path(fonts.__file__).resolve().parent
SEAL_FONT_BUDGET = 3_000_000
HANDWRITING_FONT_BUDGET = 3_600_000

ENTERPRISE_CHARACTERS = (
    "集团有限公司股份合同专用章财务人事法定代表人印之发票业务部门分中国北京上海天津重庆广州深圳杭州南京"
    "科技信息技术网络电子商务贸易进出口实业投资控股管理咨询服务建设工程建筑装饰设计文化传媒教育医药生物"
    "能源环保物流运输汽车销售银行保险证券基金农业食品酒店餐饮房地产开发物业置业劳务人力资源律师事务所会计"
    "师研究院中心协会学校医院委员会局厅办公室"
)
NAME_CHARACTERS = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
COMMON_NAME_EXTRAS = "堃喆玥珺昇赟镕"


def test_shipped_fonts_live_inside_the_package_within_budget() -> None:
    seal = cjk_font_path()
    kai = handwriting_font_path()
    assert seal.is_file() and seal.parent == PACKAGE_DIR
    assert kai is not None and kai.is_file() and kai.parent == PACKAGE_DIR
    assert seal.stat().st_size < SEAL_FONT_BUDGET
    assert kai.stat().st_size < HANDWRITING_FONT_BUDGET


def test_licence_texts_and_readme_ship_beside_the_fonts() -> None:
    for name in ("OFL-NotoSerifCJK.txt", "OFL-LXGWWenKai.txt"):
        text = (PACKAGE_DIR / name).read_text(encoding="utf-8")
        assert "SIL OPEN FONT LICENSE Version 1.1" in text
        assert "Copyright" in text or "©" in text
    readme = (PACKAGE_DIR / "README.txt").read_text(encoding="utf-8")
    assert "fonts-noto-cjk" in readme and "fonts-lxgw-wenkai" in readme


def test_seal_font_covers_common_enterprise_and_name_characters() -> None:
    text = ENTERPRISE_CHARACTERS + NAME_CHARACTERS + COMMON_NAME_EXTRAS + "0123456789ABCXYZ（）·"
    assert missing_characters(text) == ""
    assert font_covers(text)


def test_seal_font_covers_all_of_gb2312() -> None:
    hanzi = []
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                hanzi.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    assert len(hanzi) == 6763
    assert font_covers("".join(hanzi))
    assert font_covers("".join(hanzi), handwriting=True)


def test_shipped_glyphs_are_real_glyphs_not_tofu() -> None:
    text = ENTERPRISE_CHARACTERS + NAME_CHARACTERS + COMMON_NAME_EXTRAS + "合同专用章0123456789"
    for path in (cjk_font_path(), handwriting_font_path()):
        assert path is not None
        font = FontFace(path).truetype(64)
        tofu = [c for c in dict.fromkeys(text) if draws_notdef(font, c)]
        assert tofu == [], f"{path.name} draws .notdef for {''.join(tofu)}"


def test_notdef_detection_spots_a_character_outside_the_subset() -> None:
    font = FontFace(cjk_font_path()).truetype(64)
    assert draws_notdef(font, "𠀾")  # CJK extension B, not in the subset
    assert not font_covers("𠀾")


def test_typical_names_use_only_the_shipped_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_host_fonts(char: str) -> None:
        raise AssertionError(f"looked for a host font for {char!r}")

    monkeypatch.setattr(fonts, "_host_face_for", no_host_fonts)
    for handwriting in (False, True):
        faces = resolve_faces("杭州天谷信息科技有限公司合同专用章3301060012345", handwriting=handwriting)
        assert all(face.shipped and face.path.parent == PACKAGE_DIR for face in faces.values())
    kai = resolve_faces("欧阳晓明", handwriting=True)
    assert {face.path for face in kai.values()} == {handwriting_font_path()}


def test_uncovered_character_without_host_font_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_host_face_for", lambda char: None)
    with pytest.raises(InvalidValue) as caught:
        resolve_faces("王𠀾明𪚥")
    assert caught.value.field == "text"
    assert "𠀾" in str(caught.value) and "𪚥" in str(caught.value)
    assert "U+2003E" in str(caught.value)
    assert caught.value.fields["characters"] == "𠀾𪚥"


def test_uncovered_character_is_drawn_with_a_host_font_when_one_has_it() -> None:
    face = fonts._host_face_for("𠀾")
    if face is None:
        pytest.skip("no host CJK font with extension B characters")
    faces = resolve_faces("王𠀾")
    assert faces["王"].shipped
    assert not faces["𠀾"].shipped
    assert not draws_notdef(faces["𠀾"].truetype(64), "𠀾")
