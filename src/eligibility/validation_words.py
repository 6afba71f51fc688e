"""Pydantic's validation errors said in Chinese and English, naming the field.

Pydantic writes its messages in English only; a Chinese message must not carry them
("取值无效（Input should be a valid integer…）"). Each error ``type`` pydantic reports for the
profile, rule and request models is said here in a Chinese sentence, from the error's ``ctx``;
the English side keeps pydantic's own message. A type not listed reads "取值无效".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ZH: dict[str, str] = {
    "missing": "{field}是必填项，不能缺少",
    "extra_forbidden": "{field}不是可用的字段",
    "int_parsing": "{field}应为整数",
    "int_type": "{field}应为整数",
    "int_from_float": "{field}应为整数，不能带小数",
    "float_parsing": "{field}应为数字",
    "float_type": "{field}应为数字",
    "decimal_parsing": "{field}应为数字",
    "decimal_type": "{field}应为数字",
    "decimal_max_digits": "{field}的数字位数过多，最多 {max_digits} 位",
    "decimal_max_places": "{field}的小数位数过多，最多 {decimal_places} 位",
    "decimal_whole_digits": "{field}的整数位数过多，最多 {whole_digits} 位",
    "finite_number": "{field}应为有限的数字",
    "multiple_of": "{field}应为 {multiple_of} 的整数倍",
    "bool_parsing": "{field}应为是或否",
    "bool_type": "{field}应为是或否",
    "string_type": "{field}应为文字",
    "string_too_short": "{field}过短，至少 {min_length} 个字符",
    "string_too_long": "{field}过长，最多 {max_length} 个字符",
    "string_pattern_mismatch": "{field}的格式不对",
    "date_parsing": "{field}应为日期，写作 年-月-日，如 2024-06-30",
    "date_from_datetime_parsing": "{field}应为日期，写作 年-月-日，如 2024-06-30",
    "date_from_datetime_inexact": "{field}应为日期，不能带时刻",
    "date_type": "{field}应为日期，写作 年-月-日，如 2024-06-30",
    "datetime_parsing": "{field}应为日期时间",
    "datetime_type": "{field}应为日期时间",
    "datetime_from_date_parsing": "{field}应为日期时间",
    "literal_error": "{field}应为以下之一：{expected}",
    "enum": "{field}应为以下之一：{expected}",
    "greater_than": "{field}应大于 {gt}",
    "greater_than_equal": "{field}应不小于 {ge}",
    "less_than": "{field}应小于 {lt}",
    "less_than_equal": "{field}应不超过 {le}",
    "too_short": "{field}的项数过少，至少 {min_length} 项",
    "too_long": "{field}的项数过多，最多 {max_length} 项",
    "list_type": "{field}应为列表",
    "tuple_type": "{field}应为列表",
    "set_type": "{field}应为列表",
    "dict_type": "{field}应为键值映射",
    "model_type": "{field}应为键值映射",
    "model_attributes_type": "{field}应为键值映射",
    "mapping_type": "{field}应为键值映射",
    "json_invalid": "{field}不是有效的 JSON",
    "json_type": "{field}不是有效的 JSON",
    "union_tag_invalid": "{field}的类型标记无效",
    "union_tag_not_found": "{field}缺少类型标记",
    "none_required": "{field}应为空",
    "value_error": "{field}取值无效",
    "assertion_error": "{field}取值无效",
    "recursion_loop": "{field}循环引用",
}

_EXPECTED = re.compile(r"'([^']*)'|\b([\w.-]+)\b")


def _expected(text: str, names: Mapping[str, tuple[str, str]]) -> str:
    """Pydantic's "'a', 'b' or 'c'" as "a、b、c" (no English joining word); a code with a Chinese name
    in ``names`` is said by its name, the code after it: "小规模纳税人（small_scale）"."""
    values = [quoted or bare for quoted, bare in _EXPECTED.findall(text) if (quoted or bare) != "or"]
    said = [f"{names[v][0]}（{v}）" if v in names else v for v in values]
    return "、".join(said) if said else text


def message_zh(err: Mapping[str, Any], field: str, names: Mapping[str, tuple[str, str]] | None = None) -> str:
    """One pydantic error as a Chinese sentence naming ``field`` (a label or a path), never English
    from pydantic; the ctx values (limits, choices) are filled in, the choices by their Chinese
    names where ``names`` (code → (zh, en)) has them."""
    template = _ZH.get(str(err.get("type")), "{field}取值无效")
    ctx = {k: v for k, v in (err.get("ctx") or {}).items() if not isinstance(v, BaseException)}
    if "expected" in ctx:
        ctx["expected"] = _expected(str(ctx["expected"]), names or {})
    try:
        return template.format(field=field, **ctx)
    except (KeyError, IndexError, ValueError):  # a ctx pydantic did not give: the sentence without it
        return f"{field}取值无效"
