"""The enterprise profile, schema version 1 (field names fixed: docs/semantics.md).

Each field carries its Chinese and English label, its unit and any declared presumption in its
metadata; :mod:`eligibility.facts.fields` reads them into the field registry that the type
checker and the explanations use. An absent field is *unknown*; an empty list or mapping is
*known and empty*.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ..errors import CodeError, ProfileError, suggest
from ..limits import MAX_DEPTH, MAX_MONEY, depth, shown
from ..validation_words import message_zh
from .codes import normalize_industry_code, parse_uscc, validate_region
from .fields import FieldSpec, registry_for
from .flatten import Facts, Layout, flatten, layout_of
from .labels import ENUM_LABELS
from .money import parse_money, parse_rate, unknown_number


SCHEMA_VERSION = 1

Money = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "number"}, {"type": "string"}],
            "description": "yuan: a number (at most 2 decimals) or text such as '2500万', '1.5亿元'",
        }
    ),
]


def _not_negative(amount: Decimal) -> Decimal:
    if amount < 0:
        raise ValueError(f"不能为负数（{amount}） / cannot be negative ({amount})")
    return amount


NonNegativeMoney = Annotated[Money, AfterValidator(_not_negative)]
"""Money that cannot be below zero (revenue; a profit or an income may be negative)."""


def _head_count(v: object) -> object:
    """A number of persons before conversion: not a boolean, not infinite, not fractional (a NaN is
    unknown before this runs)."""
    if isinstance(v, bool):
        raise ValueError("人数不能是布尔值 / a head count cannot be a boolean")
    if isinstance(v, (float, Decimal)) and not abs(v) < MAX_MONEY:  # also infinite
        raise ValueError(f"人数超出范围：{shown(v)} / head count out of range: {shown(v)}")
    if isinstance(v, float) and v != int(v):
        raise ValueError(f"人数应为整数，实际为 {shown(v)} / a head count must be a whole number, got {shown(v)}")
    return v


def _head_count_range(v: int | None) -> int | None:
    """A number of persons after conversion: at least 0, below MAX_MONEY."""
    if v is not None and v < 0:
        raise ValueError(f"人数不能为负数（{v}） / a head count cannot be negative ({v})")
    if v is not None and v >= MAX_MONEY:
        raise ValueError(f"人数超出范围：{shown(v)} / head count out of range: {shown(v)}")
    return v


Rate = Annotated[
    Decimal,
    BeforeValidator(parse_rate),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}], "description": "0.0365 or '3.65%'"}),
]
Number = Annotated[
    Decimal,
    BeforeValidator(parse_rate),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}]}),
]


def F(zh: str, en: str, *, unit: str | None = None, code: str | None = None, presume: Any = ...,
      presume_zh: str = "", presume_en: str = "") -> Any:
    """A profile field: optional (absent = unknown), labelled, with unit and optional presumption."""
    extra: dict[str, Any] = {"label_zh": zh, "label_en": en}
    if unit:
        extra["unit"] = unit
    if code:
        extra["code"] = code
    if presume is not ...:
        extra["presume"] = {"value": presume, "zh": presume_zh, "en": presume_en}
    return Field(default=None, description=f"{zh} / {en}", json_schema_extra=extra)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _nan_is_unknown(cls, data: Any) -> Any:
        # a NaN (an empty float cell) is unknown, as an absent value is (DESIGN: three-valued logic)
        if isinstance(data, dict) and any(unknown_number(v) for v in data.values()):
            return {k: None if unknown_number(v) else v for k, v in data.items()}
        return data


class RegisterEntry(_Record):
    entered_on: date | None = F("入库日期", "date entered")
    left_on: date | None = F(
        "退库日期", "date left", presume=None,
        presume_zh="未给出退库日期，视为仍在库", presume_en="no date left given: taken as still in the register",
    )


class AboveScaleIndustrial(RegisterEntry):
    first_entry: bool | None = F("首次纳规", "first entry to the register")
    new_build: bool | None = F("新建投产纳规", "newly built project put into production")


class AboveQuotaTrade(RegisterEntry):
    basis: Literal["month", "year"] | None = F("升限方式（月度/年度）", "entry basis (monthly/annual)")


class Registers(_Record):
    """Statistics register memberships; a register not listed in a given mapping means "not a member"."""

    members_optional: ClassVar[bool] = True  # a register not listed in a given mapping: not in it

    above_scale_industrial: AboveScaleIndustrial | None = F("规模以上工业企业名录", "above-scale industrial register")
    above_quota_trade: AboveQuotaTrade | None = F("限额以上批零住餐企业名录", "above-quota trade register")


CertificationKind = Literal[
    "high_tech", "tech_sme", "specialised_sme", "specialised_growth", "little_giant", "single_champion"
]


class Certification(_Record):
    kind: CertificationKind = Field(
        description="认定类型 / kind", json_schema_extra={"label_zh": "认定类型", "label_en": "kind"}
    )
    level: Literal["national", "provincial", "municipal"] | None = F("认定级别", "level")
    certified_on: date | None = F("认定日期", "date certified")
    expires_on: date | None = F("有效期至", "valid until")


class CertificationCoverage(_Record):
    """A part of the certifications that a department list states completely: every certification of
    this kind (and level; none: every level) certified within the period is on the list, so one not
    on it is known not to exist. ``source`` names the list (shown in explanations)."""

    kind: CertificationKind = Field(
        description="认定类型 / kind", json_schema_extra={"label_zh": "认定类型", "label_en": "kind"}
    )
    level: Literal["national", "provincial", "municipal"] | None = F("认定级别（空：各级）", "level (none: every level)")
    certified_from: date = Field(
        description="认定日期起 / certified from", json_schema_extra={"label_zh": "认定日期起", "label_en": "certified from"}
    )
    certified_to: date = Field(
        description="认定日期止 / certified to", json_schema_extra={"label_zh": "认定日期止", "label_en": "certified to"}
    )
    source: str | None = F("名单", "list")


def merge_coverage(cells: list[CertificationCoverage]) -> list[CertificationCoverage]:
    """Cells of one kind and level whose periods overlap or touch, merged into one (two yearly lists
    cover a 12-month window across the year end); sources joined."""
    out: list[CertificationCoverage] = []
    for cell in sorted(cells, key=lambda c: (c.kind, c.level or "", c.certified_from)):
        last = out[-1] if out else None
        if (last is not None and (last.kind, last.level) == (cell.kind, cell.level)
                and cell.certified_from <= last.certified_to + timedelta(days=1)):
            names = [*(last.source or "").split("；"), *(cell.source or "").split("；")]
            out[-1] = last.model_copy(update={
                "certified_to": max(last.certified_to, cell.certified_to),
                "source": "；".join(dict.fromkeys(n for n in names if n)) or None,
            })
        else:
            out.append(cell)
    return out


class Attestation(_Record):
    """A fact a caseworker confirmed that no department file holds: applied as the field's value."""

    field: str = Field(description="字段 / field", json_schema_extra={"label_zh": "字段", "label_en": "field"})
    value: str | None = F("核实取值", "value confirmed")
    by: str | None = F("核实人", "confirmed by")
    on: date | None = F("核实日期", "confirmed on")


class BenefitReceived(_Record):
    rule_id: str = Field(description="规则 / rule", json_schema_extra={"label_zh": "规则", "label_en": "rule"})
    year: int = Field(description="年度 / year", json_schema_extra={"label_zh": "年度", "label_en": "year"})
    amount: Money | None = F("金额", "amount", unit="money")


def _presumed_zero(zh: str, en: str) -> Any:
    return F(zh, en, unit="money", presume=Decimal(0),
             presume_zh="未列出的税费按零计", presume_en="a tax not listed is taken as zero")


class TaxesDue(_Record):
    resource: Money | None = _presumed_zero("资源税（不含水资源税）", "resource tax (excl. water)")
    urban_maintenance: Money | None = _presumed_zero("城市维护建设税", "urban maintenance and construction tax")
    property: Money | None = _presumed_zero("房产税", "property tax")
    urban_land_use: Money | None = _presumed_zero("城镇土地使用税", "urban land-use tax")
    stamp: Money | None = _presumed_zero("印花税（不含证券交易印花税）", "stamp duty (excl. securities)")
    farmland_occupation: Money | None = _presumed_zero("耕地占用税", "farmland occupation tax")
    education_surcharge: Money | None = _presumed_zero("教育费附加", "education surcharge")
    local_education_surcharge: Money | None = _presumed_zero("地方教育附加", "local education surcharge")


class Vehicle(_Record):
    type: Literal["truck", "trailer", "special_work", "wheeled_special_machinery", "other"] | None = F("车辆类型", "vehicle type")
    annual_tax: Money | None = F("年车船税", "annual vehicle tax", unit="money")


class VatCredit(_Record):
    stock: Money | None = F("存量留抵税额", "retained credit, stock", unit="money")
    increment: Money | None = F("增量留抵税额", "retained credit, increment", unit="money")


def _presumed_not(zh: str, en: str) -> Any:
    return F(zh, en, presume=False, presume_zh="税务机关无此记录，推定没有", presume_en="no such record with the tax authority: presumed not")


class TaxCompliance(_Record):
    """Records the tax authority holds on a firm (VAT credit refund conditions, 公告2022年第14号 第三条).

    Given as a mapping (even empty), each absent record is presumed not to exist — a presumption the
    explanation states; the mapping itself absent means these records were not consulted (unknown)."""

    refund_fraud_36m: bool | None = _presumed_not(
        "申请退税前36个月内骗取留抵退税或出口退税", "VAT credit or export refund fraud in the 36 months before applying")
    false_invoices_36m: bool | None = _presumed_not(
        "申请退税前36个月内虚开增值税专用发票", "false special VAT invoices issued in the 36 months before applying")
    tax_evasion_36m: bool | None = _presumed_not(
        "申请退税前36个月内因偷税被税务机关处罚两次及以上",
        "penalised for tax evasion twice or more in the 36 months before applying")
    immediate_refund_since_2019_04: bool | None = _presumed_not(
        "2019年4月1日起享受过即征即退、先征后返（退）政策",
        "has had immediate VAT refund or refund-after-levy since 2019-04-01")


class SocialInsurance(_Record):
    deferred: bool | None = F("曾阶段性缓缴社保费", "social insurance deferred")
    deferred_amount: Money | None = F("缓缴金额", "amount deferred", unit="money")


class Operations(_Record):
    never_operated: bool | None = F("领照后未开展经营", "never operated since licensed")
    debts_outstanding: bool | None = F("存在未结债权债务", "debts outstanding")
    debts_settled: bool | None = F("债权债务已清算完结", "debts fully settled")


class TechTransfer(_Record):
    recognised: bool | None = F("认定实现成果转化", "recognised technology transfer")
    evaluation_tier: Literal[1, 2, 3] | None = F("第三方评估档次", "third-party evaluation tier")

    @field_validator("evaluation_tier", mode="before")
    @classmethod
    def _tier(cls, v: object) -> object:
        # registers and CSV files carry the tier as text ("2") or as a float (2.0)
        if isinstance(v, str) and v.strip().isdigit():
            return int(v)
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v


class Difficulty(_Record):
    stopped_production: bool | None = F("月度停产", "stopped production in the month")
    low_capacity_utilisation: bool | None = F("产能利用率较低", "low capacity utilisation")
    loss_making: bool | None = F("亏损", "loss-making")
    output_value_down: bool | None = F("产值下降", "output value down")


class Hires(_Record):
    new_qualifying_hires_this_year: int | None = F("当年新招用符合条件人员", "qualifying new hires this year", unit="person")
    graduates_hired_this_year: int | None = F("当年招用毕业年度高校毕业生", "graduates hired this year", unit="person")
    min_contract_years: Number | None = F("最短劳动合同期限", "shortest labour contract", unit="year")
    pays_social_insurance: bool | None = F("为其缴纳社会保险费", "pays their social insurance")
    graduates_employer_contribution_monthly: Money | None = F(
        "毕业生单位缴费（月）", "employer contribution for graduates, monthly", unit="money")

    _counts = field_validator("new_qualifying_hires_this_year", "graduates_hired_this_year", mode="before")(
        _head_count)
    _counts_range = field_validator("new_qualifying_hires_this_year", "graduates_hired_this_year")(_head_count_range)


class Power(_Record):
    user_type: Literal["general_commercial_industrial", "large_industry", "residential"] | None = F("用电类别", "power user type")
    transformer_kva: Number | None = F("受电变压器容量", "transformer capacity", unit="kVA")


class Exclusions(_Record):
    seasonal_stop: bool | None = F("季节性停产", "seasonal stop")
    deregistering: bool | None = F("正在注销", "deregistering")
    bankrupt: bool | None = F("破产", "bankrupt")
    planned_exit: bool | None = F("计划退库", "planned exit from the register")
    in_litigation: bool | None = F("涉法涉诉", "in litigation")


class Procurement(_Record):
    kind: Literal["goods", "services", "works"] | None = F("采购类别", "procurement kind")
    budget: Money | None = F("采购预算", "procurement budget", unit="money")
    reserved_for_sme: bool | None = F("预留份额专门面向中小企业", "reserved for SMEs")
    above_purchase_threshold: bool | None = F("采购限额标准以上", "above the purchasing threshold")
    government_invested: bool | None = F("政府投资项目", "government-invested project")
    bid_price: Money | None = F("投标报价", "bid price", unit="money")
    region_code: str | None = F("采购项目所在地", "where the procurement is held", code="region")

    @field_validator("region_code", mode="before")
    @classmethod
    def _region(cls, v: object) -> object:
        return validate_region(str(v), field="scenario.procurement.region_code") if v is not None else v


class GridConnection(_Record):
    capacity_kva: Number | None = F("报装容量", "capacity applied for", unit="kVA")
    low_voltage: bool | None = F("低压客户", "low-voltage customer")


class Guarantee(_Record):
    amount: Money | None = F("担保金额", "guarantee amount", unit="money")
    term_years: Number | None = F(
        "担保期限", "guarantee term", unit="year", presume=Decimal(1),
        presume_zh="未给出担保期限，按一年计", presume_en="no guarantee term given: taken as one year",
    )


class Loan(_Record):
    amount: Money | None = F("贷款金额", "loan amount", unit="money")
    term_years: Number | None = F("贷款期限", "loan term", unit="year")
    contract_on: date | None = F("合同签订日", "contract date")
    lpr: Rate | None = F("贷款市场报价利率(LPR)", "loan prime rate (LPR)", unit="rate")
    extended_or_overdue: bool | None = F("展期或逾期", "extended or overdue")
    subsidised_loans_before: int | None = F("此前已享受贴息贷款次数", "subsidised loans had before", unit="count")


class Scenario(_Record):
    """The matter at hand (a procurement, a loan...), not the firm; a matter not listed is absent."""

    members_optional: ClassVar[bool] = True  # a matter not listed in a given mapping: no such matter

    procurement: Procurement | None = F("政府采购项目", "government procurement")
    grid_connection: GridConnection | None = F("用电报装", "grid connection")
    guarantee: Guarantee | None = F("融资担保", "guarantee")
    loan: Loan | None = F("贷款", "loan")


class Profile(_Record):
    """An enterprise profile (schema v1). Build with ``Profile.from_data(dict)`` for clear errors."""

    uscc: str | None = F("统一社会信用代码", "unified social credit code", code="uscc")
    name: str | None = F("企业名称", "enterprise name")
    region_code: str | None = F("注册地行政区划", "registered region", code="region")
    industry_code: str | None = F("国民经济行业代码", "industry code (GB/T 4754-2017)", code="industry")
    registered_on: date | None = F("成立日期", "date established")
    employees: int | None = F("从业人员", "employees", unit="person")
    revenue: NonNegativeMoney | None = F("营业收入", "operating revenue", unit="money")
    total_assets: Money | None = F("资产总额", "total assets", unit="money")
    taxable_income: Money | None = F("应纳税所得额", "taxable income", unit="money")
    vat_taxpayer: Literal["general", "small_scale"] | None = F("增值税纳税人类型", "VAT taxpayer type")
    monthly_sales: Money | None = F("月销售额", "monthly sales", unit="money")
    quarterly_sales: Money | None = F("季度销售额", "quarterly sales", unit="money")
    vat_filing_period: Literal["month", "quarter"] | None = F("增值税纳税期限", "VAT filing period")
    ownership: Literal["private", "state", "foreign", "collective", "other"] | None = F("所有制", "ownership")
    tax_credit_rating: Literal["A", "B", "M", "C", "D"] | None = F("纳税信用等级", "tax credit rating")
    dishonest_record: bool | None = F("列入严重失信名单", "on a serious-dishonesty list")
    development_zone: str | None = F("所在开发区", "development zone")
    restricted_industry: bool | None = F(
        "属于国家限制和禁止行业", "in a restricted or prohibited industry", presume=False,
        presume_zh="未标记为限制或禁止行业，视为不属于", presume_en="not flagged as restricted or prohibited: taken as not",
    )
    benefits_received: list[BenefitReceived] | None = F("已享受的政策", "benefits already received")
    taxes_due: TaxesDue | None = F("应纳税费（减免前）", "taxes due before relief")
    vehicles: list[Vehicle] | None = F("车辆", "vehicles")
    vat_credit: VatCredit | None = F("增值税留抵税额", "retained VAT input credit")
    tax_compliance: TaxCompliance | None = F("涉税违法与退税记录（税务机关）", "tax-compliance records (tax authority)")
    social_insurance: SocialInsurance | None = F("社会保险费", "social insurance")
    operations: Operations | None = F("经营情况", "operations")
    tech_transfer: TechTransfer | None = F("科技成果转化", "technology transfer")
    difficulty: Difficulty | None = F("困难情形", "difficulty")
    registers: Registers | None = F("统计名录", "statistics registers")
    certifications: list[Certification] | None = F("资质认定", "certifications")
    certifications_listed: list[Certification] | None = F(
        "名单所列资质认定", "certifications found on department lists")
    certification_coverage: list[CertificationCoverage] | None = F(
        "名单完整覆盖的资质范围", "certifications the lists state completely")
    attestations: list[Attestation] | None = F("人工核实", "confirmed by caseworker")
    hires: Hires | None = F("招用人员", "hires")
    power: Power | None = F("用电", "power")
    exclusions: Exclusions | None = F("排除情形", "exclusions")
    scenario: Scenario | None = F("办理事项", "the matter at hand")

    @field_validator("uscc", mode="before")
    @classmethod
    def _uscc(cls, v: object) -> object:
        return parse_uscc(str(v)).code if v is not None else v

    @field_validator("region_code", mode="before")
    @classmethod
    def _region(cls, v: object) -> object:
        return validate_region(str(v)) if v is not None else v

    @field_validator("industry_code", mode="before")
    @classmethod
    def _industry(cls, v: object) -> object:
        return normalize_industry_code(str(v)) if v is not None else v

    _count = field_validator("employees", mode="before")(_head_count)
    _count_range = field_validator("employees")(_head_count_range)

    @field_validator("certification_coverage")
    @classmethod
    def _merged(cls, v: list[CertificationCoverage] | None) -> list[CertificationCoverage] | None:
        return merge_coverage(v) if v else v

    def facts(self) -> Facts:
        """The flat facts of this profile (computed once and cached; the profile is immutable)."""
        cached = self.__dict__.get("_facts_cache")
        if cached is None:
            cached = flatten(self, _layout())
            object.__setattr__(self, "_facts_cache", cached)
        return cached  # type: ignore[no-any-return]

    @classmethod
    def from_data(cls, data: Profile | Mapping[str, Any]) -> Profile:
        """Validate a mapping into a Profile; every problem is reported at once with its field path."""
        if isinstance(data, Profile):
            return data
        if not isinstance(data, Mapping):
            raise ProfileError(
                f"企业画像应为映射（dict），实际为 {type(data).__name__}",
                f"a profile must be a mapping (dict), got {type(data).__name__}",
            )
        if not isinstance(data, dict):
            data = dict(data)
        for key, value in data.items():
            if depth(value) >= MAX_DEPTH:
                raise ProfileError(f"嵌套超过 {MAX_DEPTH} 层", f"nested deeper than {MAX_DEPTH} levels",
                                   field=str(key), limit=MAX_DEPTH)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise profile_error(exc, data) from None


def _path_model(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that holds the last segment of a validation error location."""
    model: type[BaseModel] | None = Profile
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        model = _record_type(info.annotation)
    return model


def _record_type(annotation: Any) -> type[BaseModel] | None:
    """The record model inside an annotation (``Registers | None`` → Registers; ``list[X]`` → X)."""
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        inner = _record_type(arg)
        if inner is not None:
            return inner
    return None


def field_label(loc: tuple[Any, ...]) -> str:
    """The Chinese name of the field at a validation error's location ("从业人员"), or "该项" when
    the schema has none (a list index or an unknown key)."""
    path = ".".join(str(p) for p in loc if not isinstance(p, int))
    spec = registry().get(path) or registry().get(re.sub(r"^(\w+)\.", r"\1[].", path, count=1))
    return spec.label("zh") if spec is not None else "该项"


def profile_error(exc: ValidationError, data: dict[str, Any]) -> ProfileError:
    """Turn pydantic's errors into one bilingual ProfileError naming each bad field."""
    lines_zh, lines_en, fields = [], [], []
    for err in exc.errors():
        loc = err["loc"]
        path = ".".join(str(p) for p in loc)
        fields.append(path)
        if err["type"] == "extra_forbidden":
            model = _path_model(loc)
            hint = suggest(str(loc[-1]), model.model_fields) if model else None
            dym_zh = f"，是否想写 '{hint}'？" if hint else ""
            dym_en = f"; did you mean '{hint}'?" if hint else ""
            lines_zh.append(f"{path}: 未知字段{dym_zh}")
            lines_en.append(f"{path}: unknown field{dym_en}")
            continue
        ctx_err = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_err, CodeError):
            lines_zh.append(f"{path}: {ctx_err.zh}")
            lines_en.append(f"{path}: {ctx_err.en}")
            continue
        msg = str(ctx_err) if ctx_err is not None else err["msg"]
        given = shown(err.get("input"))
        if " / " in msg:
            zh, en = msg.split(" / ", 1)
        else:
            zh, en = message_zh(err, field_label(loc), ENUM_LABELS), msg
        lines_zh.append(f"{path}: {zh}；给定值 {given}")
        lines_en.append(f"{path}: {en}; given {given}")
    return ProfileError(
        "企业画像有误：\n  " + "\n  ".join(lines_zh),
        "invalid profile:\n  " + "\n  ".join(lines_en),
        field=fields[0] if len(fields) == 1 else None,
        fields=fields,
    )


@cache
def registry() -> dict[str, FieldSpec]:
    """Every field of the profile schema by dotted path (list items as ``list[].field``)."""
    return registry_for(Profile)


@cache
def _layout() -> Layout:
    return layout_of(registry())


def field_names() -> list[str]:
    """Paths a rule may name (scalars and records, not list items)."""
    return [p for p in registry() if "[]" not in p]
