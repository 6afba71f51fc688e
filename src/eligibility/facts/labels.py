"""Words for coded values, so explanations say 小规模纳税人 rather than ``small_scale``."""

from __future__ import annotations

ENUM_LABELS: dict[str, tuple[str, str]] = {
    "general": ("一般纳税人", "general taxpayer"),
    "small_scale": ("小规模纳税人", "small-scale taxpayer"),
    "month": ("按月", "monthly"),
    "quarter": ("按季", "quarterly"),
    "year": ("按年", "annual"),
    "private": ("民营", "private"),
    "state": ("国有", "state-owned"),
    "foreign": ("外资", "foreign-owned"),
    "collective": ("集体", "collective"),
    "other": ("其他", "other"),
    "high_tech": ("高新技术企业", "high-tech enterprise"),
    "tech_sme": ("科技型中小企业", "technology-based SME"),
    "specialised_sme": ("专精特新中小企业", "specialised and innovative SME"),
    "specialised_growth": ("专精特新“成长”企业", "specialised “growth” enterprise"),
    "little_giant": ("专精特新“小巨人”企业", "“little giant” enterprise"),
    "single_champion": ("制造业单项冠军", "manufacturing single champion"),
    "national": ("国家级", "national"),
    "provincial": ("省级", "provincial"),
    "municipal": ("市级", "municipal"),
    "goods": ("货物", "goods"),
    "services": ("服务", "services"),
    "works": ("工程", "works"),
    "truck": ("货车", "truck"),
    "trailer": ("挂车", "trailer"),
    "special_work": ("专用作业车", "special-purpose vehicle"),
    "wheeled_special_machinery": ("轮式专用机械车", "wheeled special machinery"),
    "general_commercial_industrial": ("一般工商业", "general commercial/industrial"),
    "large_industry": ("大工业", "large industry"),
    "residential": ("居民", "residential"),
    "large": ("大型", "large"),
    "medium": ("中型", "medium"),
    "small": ("小型", "small"),
    "micro": ("微型", "micro"),
}


def enum_label(value: object, lang: str = "zh") -> str:
    """The label of a coded value, or the value itself when it has none."""
    pair = ENUM_LABELS.get(str(value))
    if pair is None:
        return str(value)
    return pair[1] if lang == "en" else pair[0]
