"""Administrative region codes (GB/T 2260; names from the NBS 2023 statistical division list).

A code is 6 digits: province (1–2), prefecture (3–4), county (5–6); "00" pairs at the end mean
"the whole level above". Validity needs only 6 digits under a known province; names below the
province are held for the regions the shipped rules and the examples use and are a convenience, not a
register.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from eligibility.errors import CodeError

PROVINCES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "110000": ("北京市", "Beijing Municipality"),
        "120000": ("天津市", "Tianjin Municipality"),
        "130000": ("河北省", "Hebei Province"),
        "140000": ("山西省", "Shanxi Province"),
        "150000": ("内蒙古自治区", "Inner Mongolia Autonomous Region"),
        "210000": ("辽宁省", "Liaoning Province"),
        "220000": ("吉林省", "Jilin Province"),
        "230000": ("黑龙江省", "Heilongjiang Province"),
        "310000": ("上海市", "Shanghai Municipality"),
        "320000": ("江苏省", "Jiangsu Province"),
        "330000": ("浙江省", "Zhejiang Province"),
        "340000": ("安徽省", "Anhui Province"),
        "350000": ("福建省", "Fujian Province"),
        "360000": ("江西省", "Jiangxi Province"),
        "370000": ("山东省", "Shandong Province"),
        "410000": ("河南省", "Henan Province"),
        "420000": ("湖北省", "Hubei Province"),
        "430000": ("湖南省", "Hunan Province"),
        "440000": ("广东省", "Guangdong Province"),
        "450000": ("广西壮族自治区", "Guangxi Zhuang Autonomous Region"),
        "460000": ("海南省", "Hainan Province"),
        "500000": ("重庆市", "Chongqing Municipality"),
        "510000": ("四川省", "Sichuan Province"),
        "520000": ("贵州省", "Guizhou Province"),
        "530000": ("云南省", "Yunnan Province"),
        "540000": ("西藏自治区", "Xizang (Tibet) Autonomous Region"),
        "610000": ("陕西省", "Shaanxi Province"),
        "620000": ("甘肃省", "Gansu Province"),
        "630000": ("青海省", "Qinghai Province"),
        "640000": ("宁夏回族自治区", "Ningxia Hui Autonomous Region"),
        "650000": ("新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region"),
        "710000": ("台湾省", "Taiwan Province"),
        "810000": ("香港特别行政区", "Hong Kong Special Administrative Region"),
        "820000": ("澳门特别行政区", "Macao Special Administrative Region"),
    }
)
"""All 34 province-level divisions."""

# Codes ending in 7x are NBS statistical codes for development zones (functional areas), not
# GB/T 2260 counties; they are listed because firms are registered under them.
LOCALITIES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        # 内蒙古自治区 · 通辽市
        "150500": ("通辽市", "Tongliao City"),
        "150502": ("科尔沁区", "Horqin District"),
        "150521": ("科尔沁左翼中旗", "Horqin Left Middle Banner"),
        "150522": ("科尔沁左翼后旗", "Horqin Left Rear Banner"),
        "150523": ("开鲁县", "Kailu County"),
        "150524": ("库伦旗", "Hure Banner"),
        "150525": ("奈曼旗", "Naiman Banner"),
        "150526": ("扎鲁特旗", "Jarud Banner"),
        "150571": ("通辽经济技术开发区", "Tongliao Economic and Technological Development Zone"),
        "150581": ("霍林郭勒市", "Holingol City"),
        # 内蒙古自治区 · 鄂尔多斯市
        "150600": ("鄂尔多斯市", "Ordos City"),
        "150602": ("东胜区", "Dongsheng District"),
        "150603": ("康巴什区", "Kangbashi District"),
        "150621": ("达拉特旗", "Dalad Banner"),
        "150622": ("准格尔旗", "Jungar Banner"),
        "150623": ("鄂托克前旗", "Otog Front Banner"),
        "150624": ("鄂托克旗", "Otog Banner"),
        "150625": ("杭锦旗", "Hanggin Banner"),
        "150626": ("乌审旗", "Uxin Banner"),
        "150627": ("伊金霍洛旗", "Ejin Horo Banner"),
        # 内蒙古自治区 · 阿拉善盟 (腾格里经济技术开发区 has no code; it lies in 阿拉善左旗)
        "152900": ("阿拉善盟", "Alxa League"),
        "152921": ("阿拉善左旗", "Alxa Left Banner"),
        "152922": ("阿拉善右旗", "Alxa Right Banner"),
        "152923": ("额济纳旗", "Ejin Banner"),
        # Name as in recent NBS lists; earlier lists call it 内蒙古阿拉善经济开发区.
        "152971": (
            "内蒙古阿拉善高新技术产业开发区",
            "Inner Mongolia Alxa High-tech Industrial Development Zone",
        ),
        # 云南省 · 普洱市
        "530800": ("普洱市", "Pu'er City"),
        "530802": ("思茅区", "Simao District"),
        "530821": ("宁洱哈尼族彝族自治县", "Ning'er Hani and Yi Autonomous County"),
        "530822": ("墨江哈尼族自治县", "Mojiang Hani Autonomous County"),
        "530823": ("景东彝族自治县", "Jingdong Yi Autonomous County"),
        "530824": ("景谷傣族彝族自治县", "Jinggu Dai and Yi Autonomous County"),
        "530825": ("镇沅彝族哈尼族拉祜族自治县", "Zhenyuan Yi, Hani and Lahu Autonomous County"),
        "530826": ("江城哈尼族彝族自治县", "Jiangcheng Hani and Yi Autonomous County"),
        "530827": ("孟连傣族拉祜族佤族自治县", "Menglian Dai, Lahu and Va Autonomous County"),
        "530828": ("澜沧拉祜族自治县", "Lancang Lahu Autonomous County"),
        "530829": ("西盟佤族自治县", "Ximeng Va Autonomous County"),
        # 陕西省 · 咸阳市 (彬县 610427 became 彬州市 610482 in 2018)
        "610400": ("咸阳市", "Xianyang City"),
        "610402": ("秦都区", "Qindu District"),
        "610403": ("杨陵区", "Yangling District"),
        "610404": ("渭城区", "Weicheng District"),
        "610422": ("三原县", "Sanyuan County"),
        "610423": ("泾阳县", "Jingyang County"),
        "610424": ("乾县", "Qian County"),
        "610425": ("礼泉县", "Liquan County"),
        "610426": ("永寿县", "Yongshou County"),
        "610428": ("长武县", "Changwu County"),
        "610429": ("旬邑县", "Xunyi County"),
        "610430": ("淳化县", "Chunhua County"),
        "610431": ("武功县", "Wugong County"),
        "610481": ("兴平市", "Xingping City"),
        "610482": ("彬州市", "Binzhou City"),
        # Outside the seed jurisdictions: the districts the example register and the test workloads
        # place firms in, with their prefectures (codes and names as in GB/T 2260 and the 民政部
        # 行政区划代码 list). Beijing's districts sit directly under the municipality.
        "110105": ("朝阳区", "Chaoyang District"),
        "150100": ("呼和浩特市", "Hohhot City"),
        "150102": ("新城区", "Xincheng District"),
        "330100": ("杭州市", "Hangzhou City"),
        "330106": ("西湖区", "Xihu District"),
        "440300": ("深圳市", "Shenzhen City"),
        "440305": ("南山区", "Nanshan District"),
        "530100": ("昆明市", "Kunming City"),
        "530102": ("五华区", "Wuhua District"),
    }
)
"""Prefectures and counties below the provinces: every county of the seed jurisdictions' prefectures,
and the districts the examples use elsewhere."""

REGION_NAMES: Mapping[str, tuple[str, str]] = MappingProxyType({**PROVINCES, **LOCALITIES})
"""Every named code: 6-digit code → (Chinese name, English name)."""

_PROVINCE_PREFIXES = frozenset(code[:2] for code in PROVINCES)


def _text(code: object, field: str) -> str:
    """A code as typed, in canonical text form (NFKC, outer whitespace off)."""
    if not isinstance(code, str):
        raise CodeError(
            f"行政区划代码应为文本，收到 {type(code).__name__} 类型的值 {code!r}",
            f"a region code must be text, got {type(code).__name__} {code!r}",
            field=field,
            value=code,
        )
    return unicodedata.normalize("NFKC", code).strip()


def _digits(text: str) -> bool:
    """True when every character is an ASCII digit (``str.isdigit`` also takes other scripts)."""
    return all("0" <= ch <= "9" for ch in text)


def is_valid_region(code: str) -> bool:
    """True when ``code`` is exactly 6 digits and its first two name a known province."""
    try:
        validate_region(code)
    except CodeError:
        return False
    return True


def validate_region(code: str, field: str = "region_code") -> str:
    """Return the 6-digit region code, or raise :class:`CodeError` saying what is wrong."""
    text = _text(code, field)
    if len(text) != 6 or not _digits(text):
        raise CodeError(
            f"行政区划代码应为 6 位数字，收到 '{text}'（{len(text)} 位）",
            f"a region code is 6 digits, got '{text}' ({len(text)} characters)",
            field=field,
            value=code,
        )
    if text[:2] not in _PROVINCE_PREFIXES:
        raise CodeError(
            f"行政区划代码 '{text}' 的前两位 '{text[:2]}' 不是省级行政区代码（11–65、71、81、82）",
            f"region code '{text}' does not start with a province code: '{text[:2]}' is not one of"
            f" 11–65, 71, 81, 82",
            field=field,
            value=code,
        )
    return text


def region_prefix(code: str) -> str:
    """The significant prefix used for hierarchy matching: trailing "00" levels removed.

    "150000" → "15", "530800" → "5308", "150523" → "150523"; a prefix already short ("5308")
    comes back as is; "000000" and "" (the whole country) give "".
    """
    text = _text(code, "region_code")
    if len(text) not in (0, 2, 4, 6) or not _digits(text):
        raise CodeError(
            f"行政区划代码或前缀应为 2、4 或 6 位数字，收到 '{text}'",
            f"a region code or prefix is 2, 4 or 6 digits, got '{text}'",
            field="region_code",
            value=code,
        )
    while text.endswith("00"):
        text = text[:-2]
    return text


def region_under(code: str, ancestor: str) -> bool:
    """True when ``code`` is ``ancestor`` or lies under it (2/4/6-digit levels).

    ``ancestor`` "000000" or "" is the whole country and covers every code.
    """
    return region_prefix(code).startswith(region_prefix(ancestor))


def region_name(code: str, lang: str = "zh") -> str | None:
    """The name of a region code or prefix ("en" for English, else Chinese); None when not held."""
    names = REGION_NAMES.get(region_prefix(code).ljust(6, "0"))
    if names is None:
        return None
    return names[1] if lang == "en" else names[0]


def region_path(code: str, lang: str = "zh") -> list[str]:
    """Names from the province down to ``code``, skipping levels whose names are not held.

    >>> region_path("150523")
    ['内蒙古自治区', '通辽市', '开鲁县']
    """
    prefix = region_prefix(code)
    levels = (prefix[:n] for n in (2, 4, 6) if n <= len(prefix))
    return [name for level in levels if (name := region_name(level, lang)) is not None]


@cache
def _codes_by_name() -> dict[str, str]:
    """A region's Chinese name → its code, as registers write a county instead of its code: the name
    alone, after its prefecture's, or after its province's (and prefecture's). A name that more than
    one code has is left out (it names no one region)."""
    seen: dict[str, set[str]] = {}
    for code, (name, _) in REGION_NAMES.items():
        province = REGION_NAMES.get(code[:2] + "0000", ("", ""))[0] if code[2:] != "0000" else ""
        prefecture = REGION_NAMES.get(code[:4] + "00", ("", ""))[0] if code[4:] != "00" else ""
        for spelling in {name, prefecture + name, province + name, province + prefecture + name}:
            seen.setdefault(spelling, set()).add(code)
    return {spelling: next(iter(codes)) for spelling, codes in seen.items() if len(codes) == 1}


def region_by_name(text: str) -> str | None:
    """The code of a region written by its name (``思茅区``, ``普洱市思茅区``, ``云南省普洱市思茅区``), or
    None when the name is not one of the named regions or names more than one.

    >>> region_by_name("普洱市思茅区"), region_by_name("火星")
    ('530802', None)
    """
    return _codes_by_name().get(unicodedata.normalize("NFKC", text).replace(" ", "").strip())
