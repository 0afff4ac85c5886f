"""One pydantic model per dataset: the single declaration of fields, types, required-ness, aliases,
enum labels and value ranges (SPEC section 1).

The models serve two purposes:

* ``kpi.load`` reads their metadata (``FieldInfo``) to drive the fast column-wise validation;
* ``validate_row`` runs a model on one raw row: the reference verdict the column-wise validator must
  agree with (the property tests check exactly that). Cell parsing in both paths is the same code,
  ``kpi.parse``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from . import parse

Kind = Literal["leads", "activities", "visits", "onboarding", "referrals"]
KINDS: tuple[Kind, ...] = ("leads", "activities", "visits", "onboarding", "referrals")

# ------------------------------------------------------------------ enum labels (code -> labels)
REGION_LABELS = {
    "osaka": ["大阪", "大阪府", "大阪市", "osaka"],
    "kyoto": ["京都", "京都府", "京都市", "kyoto"],
    "kobe": ["神戸", "神戸市", "兵庫", "兵庫県", "kobe", "hyogo"],
    "nara": ["奈良", "奈良県", "奈良市", "nara"],
    "other": ["その他", "other"],
}
SEGMENT_LABELS = {
    "hospital": ["病院", "hospital"],
    "medical": ["医療", "クリニック", "診療所", "医院", "medical", "clinic"],
    "healthcare": ["ヘルスケア", "healthcare"],
    "general": ["一般", "一般企業", "general"],
    "other": ["その他", "other"],
}
OWNER_ROLE_LABELS = {
    "agency": ["代行会社", "代行", "agency"],
    "inside_sales": ["インサイド", "インサイドセールス", "IS", "inside_sales", "inside sales"],
    "field_sales": ["フィールド", "フィールドセールス", "FS", "field_sales", "field sales"],
    "consultant": ["コンサル", "コンサルタント", "consultant"],
    "partner": ["支援会社", "パートナー", "partner"],
}
LEAD_STATUS_LABELS = {
    "open": ["進行中", "商談中", "open"],
    "won": ["受注", "成約", "won"],
    "lost": ["失注", "lost"],
}
ACTIVITY_TYPE_LABELS = {
    "visit": ["訪問", "visit"],
    "online": ["オンライン", "Web会議", "online"],
    "call": ["電話", "call"],
    "email": ["メール", "email", "e-mail"],
    "demo": ["デモ", "demo"],
    "other": ["その他", "other"],
}
VISIT_STATUS_LABELS = {
    "attended": ["来院", "来院済", "来院済み", "済", "attended"],
    "cancelled": ["キャンセル", "cancelled", "canceled"],
    "no_show": ["無断キャンセル", "無断", "no_show", "no-show", "noshow"],
    "booked": ["予約", "予約中", "予約済", "booked"],
}
# Issue 16: a row marked insurance or self-pay (保険/自費) gives the self-pay ratio when there is no 自費金額 column.
PAYMENT_TYPE_LABELS = {
    "insurance": ["保険", "保険診療", "健保", "国保", "社保", "労災", "自賠責", "insurance"],
    "self_pay": ["自費", "自費診療", "自由診療", "実費", "self_pay", "self-pay", "self pay"],
}
ONBOARDING_STATUS_LABELS = {
    "done": ["実施", "実施済", "済", "done"],
    "scheduled": ["予定", "scheduled"],
    "missed": ["欠席", "missed"],
    "cancelled": ["中止", "cancelled", "canceled"],
}
DIRECTION_LABELS = {
    "in": ["紹介", "紹介(受)", "紹介受", "被紹介", "in"],
    "out": ["逆紹介", "out"],
}


def label_lookup(labels: dict[str, list[str]]) -> dict[str, str]:
    """label_key(label) -> code, for every label and the code itself."""
    out: dict[str, str] = {}
    for code, names in labels.items():
        for name in [code, *names]:
            out[parse.label_key(name)] = code
    return out


# ------------------------------------------------------------------ field declaration helpers
@dataclass(frozen=True)
class FieldSpec:
    """What the loader needs to know about one field; read from the model's metadata."""

    name: str
    kind: str  # text | date | datetime | int | number | rate | bool | enum
    required: bool
    aliases: tuple[str, ...]
    labels: dict[str, list[str]] | None
    ge: float | None
    le: float | None
    default: Any = None  # enum default for blanks ("other" for region/segment)


def _before(kind: str, required: bool, labels: dict[str, list[str]] | None):
    """BeforeValidator running the same cell parsers as the column-wise path, for one raw cell."""
    lookup = label_lookup(labels) if labels else {}

    def validate(value):
        if parse.is_missing_scalar(value):
            return None
        if kind == "text":
            return parse._clean_text(value)
        if kind in ("date", "datetime"):
            parsed = parse.parse_date_scalar(value)
            if parsed is None:
                if required:
                    raise ValueError("invalid_date")
                return None
            return parsed[0] if kind == "datetime" else parsed[0].date()
        if kind in ("int", "number", "rate"):
            number = parse.parse_number_scalar(value)
            if number is None:
                if required:
                    raise ValueError("invalid_number")
                return None
            return number
        if kind == "bool":
            flag = parse.parse_bool_scalar(value)
            if flag is None:
                raise ValueError("invalid_bool")
            return flag
        if kind == "enum":
            text = parse._clean_text(value)
            code = parse.region_scalar(text, lookup) if labels is REGION_LABELS else lookup.get(parse.label_key(text))
            if code is None:
                if labels in (REGION_LABELS, SEGMENT_LABELS):
                    return "other"
                raise ValueError("unknown_label")
            return code
        return value

    return BeforeValidator(validate)


def F(kind: str, *aliases: str, required: bool = False, labels=None, ge=None, le=None, default=None):
    """Declare a field: its kind, Japanese/English aliases, labels and range in one place."""
    extra = {"kind": kind, "aliases": list(aliases), "labels": labels, "enum_default": default}
    constraints = {k: v for k, v in {"ge": ge, "le": le}.items() if v is not None}
    if required:
        return Field(..., json_schema_extra=extra, **constraints)
    return Field(default, json_schema_extra=extra, **constraints)


def T(kind: str, py_type, required: bool = False, labels=None):
    """The annotated type: python type + the before-validator for raw cells."""
    return Annotated[py_type if required else py_type | None, _before(kind, required, labels)]


NonNeg = dict(ge=0)


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# ------------------------------------------------------------------ the five datasets
class Lead(_Row):
    """営業案件: one row per lead/deal."""

    lead_id: T("text", str, True) = F("text", "リードID", "案件ID", "商談ID", "lead_id", required=True)
    account: T("text", str) = F("text", "取引先", "取引先名", "会社名", "病院名", "施設名", "account")
    segment: T("enum", str, labels=SEGMENT_LABELS) = F("enum", "業種", "区分", "セグメント", "segment", labels=SEGMENT_LABELS, default="other")
    region: T("enum", str, labels=REGION_LABELS) = F("enum", "地域", "エリア", "都道府県", "住所", "region", labels=REGION_LABELS, default="other")
    source: T("text", str) = F("text", "流入元", "リードソース", "source")
    owner: T("text", str) = F("text", "担当者", "担当", "owner")
    owner_role: T("enum", str, labels=OWNER_ROLE_LABELS) = F("enum", "担当区分", "役割", "owner_role", labels=OWNER_ROLE_LABELS)
    contact: T("text", str) = F("text", "担当窓口", "先方担当者", "メール", "電話", "contact")
    created_at: T("datetime", dt.datetime, True) = F("datetime", "リード日", "作成日", "登録日", "受付日時", "created_at", required=True)
    contacted_on: T("date", dt.date) = F("date", "接触日", "contacted_on")
    meeting_on: T("date", dt.date) = F("date", "商談化日", "商談日", "meeting_on")
    poc_on: T("date", dt.date) = F("date", "PoC合意日", "poc_on")
    approved_on: T("date", dt.date) = F("date", "稟議通過日", "稟議承認日", "approved_on")
    collected_on: T("date", dt.date) = F("date", "回収日", "入金日", "collected_on")
    status: T("enum", str, labels=LEAD_STATUS_LABELS) = F("enum", "ステータス", "status", labels=LEAD_STATUS_LABELS)
    lost_reason: T("text", str) = F("text", "失注理由", "lost_reason")
    amount_yen: T("int", float) = F("int", "金額", "見込金額", "amount_yen", "amount", **NonNeg)
    payback_months: T("number", float) = F("number", "回収期間", "payback_months", **NonNeg)
    first_response_at: T("datetime", dt.datetime) = F("datetime", "初回返信日時", "初回対応日時", "first_response_at")
    next_action_on: T("date", dt.date) = F("date", "次回アクション日", "次回予定日", "next_action_on")
    updated_on: T("date", dt.date) = F("date", "最終更新日", "更新日", "updated_on")
    key_person: T("text", str) = F("text", "キーマン", "key_person")
    ethics_review_on: T("date", dt.date) = F("date", "倫理審査日", "ethics_review_on")
    it_review_on: T("date", dt.date) = F("date", "情報審査日", "it_review_on")
    purchasing_review_on: T("date", dt.date) = F("date", "購買審査日", "purchasing_review_on")
    board_on: T("date", dt.date) = F("date", "役員会日", "board_on")
    sent_back_count: T("int", float) = F("int", "差し戻し回数", "sent_back_count", **NonNeg)
    # issue 15: read as text; kpi.funnel reads the month (3, "3月", "March") and the noted KPI
    sent_back_reason: T("text", str) = F("text", "差し戻し理由", "sent_back_reason")
    work_style_kpi: T("text", str) = F("text", "働き方KPI", "work_style_kpi")
    fiscal_month: T("text", str) = F("text", "決算月", "fiscal_month")


class Activity(_Row):
    """活動記録: sales visits, calls, demos."""

    activity_at: T("datetime", dt.datetime, True) = F("datetime", "活動日", "訪問日", "日時", "activity_at", required=True)
    rep: T("text", str, True) = F("text", "担当者", "担当", "rep", required=True)
    type: T("enum", str, True, labels=ACTIVITY_TYPE_LABELS) = F("enum", "種別", "type", required=True, labels=ACTIVITY_TYPE_LABELS)
    lead_id: T("text", str) = F("text", "リードID", "案件ID", "lead_id")
    account: T("text", str) = F("text", "取引先", "訪問先", "account")
    region: T("enum", str, labels=REGION_LABELS) = F("enum", "地域", "region", labels=REGION_LABELS, default="other")
    travel_minutes: T("int", float) = F("int", "移動時間", "travel_minutes", **NonNeg)
    minutes_sent_at: T("datetime", dt.datetime) = F("datetime", "議事録送付日時", "minutes_sent_at")
    minutes_saved: T("int", float) = F("int", "削減時間", "minutes_saved", **NonNeg)
    note: T("text", str) = F("text", "一行日記", "メモ", "note")
    # issue 15 item 6 (contact-rate A/B, kpi.abtest): the message pattern sent and when the other side replied
    variant: T("text", str) = F("text", "パターン", "配信パターン", "文面パターン", "variant")
    replied_at: T("datetime", dt.datetime) = F("datetime", "返信日時", "返信日", "replied_at")


class Visit(_Row):
    """来院・予約記録: one row per appointment."""

    patient_id: T("text", str, True) = F("text", "患者ID", "カルテ番号", "診察券番号", "patient_id", required=True)
    visit_on: T("datetime", dt.datetime, True) = F("datetime", "来院日", "予約日時", "日付", "visit_on", required=True)
    status: T("enum", str, labels=VISIT_STATUS_LABELS) = F("enum", "ステータス", "status", labels=VISIT_STATUS_LABELS)
    booked_on: T("date", dt.date) = F("date", "予約受付日", "予約作成日", "booked_on")
    cancelled_on: T("date", dt.date) = F("date", "キャンセル日", "cancelled_on")
    first_visit: T("bool", bool) = F("bool", "初診", "新患", "first_visit")
    amount_yen: T("int", float) = F("int", "会計金額", "売上", "金額", "amount_yen", "amount", **NonNeg)
    self_pay_yen: T("int", float) = F("int", "自費", "自費金額", "self_pay_yen", **NonNeg)
    treatment_minutes: T("int", float) = F("int", "施術時間", "treatment_minutes", **NonNeg)
    clinic: T("text", str) = F("text", "院名", "店舗", "clinic")
    staff: T("text", str) = F("text", "施術者", "担当", "staff")
    # Issue 16: machine-only treatments (EMS, メドマー…) are left out of the price per 10 minutes, as the clinic method
    # says — marked per row, or by menu name against the clinic settings' list (kpi.clinic.ClinicSettings).
    machine_only: T("bool", bool) = F("bool", "機器のみ", "物療のみ", "machine_only")
    payment_type: T("enum", str, labels=PAYMENT_TYPE_LABELS) = F("enum", "保険/自費", "保険・自費", "保険自費", "保険区分", "payment_type",
                                                              labels=PAYMENT_TYPE_LABELS)
    menu: T("text", str) = F("text", "メニュー", "施術メニュー", "施術内容", "menu")
    # Personal data for the call list only (issue 17 item 12): shown nowhere else, masked like IDs. Aliases are
    # per dataset, so 電話 here does not clash with leads.contact's 電話.
    patient_name: T("text", str) = F("text", "患者名", "氏名", "名前", "お名前", "patient_name")
    phone: T("text", str) = F("text", "電話", "電話番号", "TEL", "連絡先", "phone")


class OnboardingSession(_Row):
    """オンボーディング受講記録: one row per user per session (0 = kickoff)."""

    customer: T("text", str, True) = F("text", "顧客", "導入先", "薬局名", "customer", required=True)
    user: T("text", str, True) = F("text", "受講者", "利用者", "user", required=True)
    session_no: T("int", float, True) = F("int", "回", "回数", "セッション", "session_no", required=True, ge=0, le=12)
    held_on: T("date", dt.date) = F("date", "実施日", "held_on")
    scheduled_on: T("date", dt.date) = F("date", "予定日", "scheduled_on")
    status: T("enum", str, labels=ONBOARDING_STATUS_LABELS) = F("enum", "状態", "status", labels=ONBOARDING_STATUS_LABELS)
    trainer: T("text", str) = F("text", "トレーナー", "担当", "trainer")
    homework_done: T("bool", bool) = F("bool", "宿題", "homework_done")
    same_day_record_rate: T("rate", float) = F("rate", "当日記載率", "same_day_record_rate", ge=0, le=1)
    guidance_use_rate: T("rate", float) = F("rate", "指導文利用率", "guidance_use_rate", ge=0, le=1)
    usage_stage: T("int", float) = F("int", "運用ステージ", "usage_stage", ge=1, le=3)
    nps_score: T("int", float) = F("int", "NPS", "推奨度", "nps_score", ge=0, le=10)
    # the programme version a user followed (期 / プログラム版), to read NPS and graduation before and after a change
    program: T("text", str) = F("text", "期", "プログラム", "プログラム版", "program")


class Referral(_Row):
    """紹介・逆紹介: regional medical liaison."""

    referred_on: T("date", dt.date, True) = F("date", "紹介日", "referred_on", required=True)
    institution: T("text", str, True) = F("text", "医療機関名", "紹介元", "紹介先", "institution", required=True)
    direction: T("enum", str, True, labels=DIRECTION_LABELS) = F("enum", "区分", "direction", required=True, labels=DIRECTION_LABELS)
    department: T("text", str) = F("text", "診療科", "department")
    area: T("text", str) = F("text", "地域", "市区町村", "area")


MODELS: dict[str, type[BaseModel]] = {
    "leads": Lead,
    "activities": Activity,
    "visits": Visit,
    "onboarding": OnboardingSession,
    "referrals": Referral,
}

# Fields that are filled even when the file lacks them (frame contract in kpi/__init__.py).
ALWAYS_PRESENT: dict[str, tuple[str, ...]] = {
    "leads": ("status", "region", "segment"),
    "activities": ("region",),
    "visits": (),  # no status column = attended visits only, and the cancel rate is n/a (kpi.clinic.is_attended)
    "onboarding": ("status",),
    "referrals": (),
}


def field_specs(kind: str) -> list[FieldSpec]:
    """The fields of a dataset in declaration order, as the loader needs them."""
    specs = []
    for name, info in MODELS[kind].model_fields.items():
        extra = info.json_schema_extra or {}
        ge = le = None
        for meta in info.metadata:
            ge = getattr(meta, "ge", ge)
            le = getattr(meta, "le", le)
        specs.append(
            FieldSpec(
                name=name,
                kind=extra["kind"],
                required=info.is_required(),
                aliases=tuple(extra["aliases"]),
                labels=extra.get("labels"),
                ge=ge,
                le=le,
                default=extra.get("enum_default"),
            )
        )
    return specs


def validate_row(kind: str, raw: dict[str, Any]) -> list[dict]:
    """Reference verdict for one raw row (field -> raw cell): pydantic's errors, [] when valid."""
    try:
        MODELS[kind].model_validate(raw)
    except ValidationError as exc:
        return [{"field": str(e["loc"][0]), "type": e["type"], "msg": e["msg"]} for e in exc.errors()]
    return []
