"""Excel templates per dataset: Japanese headers, one example row, drop-down lists for enum columns.

Headers and labels come from ``kpi.schemas`` (the first Japanese alias / label), so a template always
loads back through ``kpi.load`` as the dataset it is for (a test checks exactly that).
"""
from __future__ import annotations

import io

from .export import new_workbook
from .schemas import field_specs

EXAMPLES: dict[str, dict[str, object]] = {
    "leads": {
        "lead_id": "L-0001", "account": "医療法人 さくら会 さくら病院", "segment": "病院", "region": "大阪",
        "source": "展示会", "owner": "山田 太郎", "owner_role": "フィールド", "contact": "総務課 佐藤様",
        "created_at": "2026/11/02", "contacted_on": "2026/11/05", "meeting_on": "2026/11/12", "status": "進行中",
        "amount_yen": "120万円", "payback_months": 10, "first_response_at": "2026/11/02 15:30",
        "next_action_on": "2026/11/26", "updated_on": "2026/11/20", "key_person": "事務長 田中様", "ethics_review_on": "2026/12/10",
    },
    "activities": {
        "activity_at": "2026/11/20 10:00", "rep": "山田 太郎", "type": "訪問", "lead_id": "L-0001",
        "account": "医療法人 さくら会 さくら病院", "region": "大阪", "travel_minutes": 35,
        "minutes_sent_at": "2026/11/20 17:10", "minutes_saved": 30, "note": "事務長と次回デモ日程を合意",
    },
    "visits": {
        "patient_id": "P000123", "visit_on": "2026/11/20 10:30", "status": "来院", "booked_on": "2026/11/13",
        "first_visit": "○", "amount_yen": 2500, "self_pay_yen": 0, "treatment_minutes": 20, "clinic": "本院", "staff": "鈴木",
    },
    "onboarding": {
        "customer": "みどり薬局", "user": "高橋 花子", "session_no": 3, "held_on": "2026/11/18", "scheduled_on": "2026/11/18",
        "status": "実施", "trainer": "伊藤", "homework_done": "○", "same_day_record_rate": "92%", "guidance_use_rate": "65%",
        "usage_stage": 2, "nps_score": 9,
    },
    "referrals": {"referred_on": "2026/11/20", "institution": "なら内科クリニック", "direction": "紹介", "department": "内科", "area": "奈良市"},
}

BOOL_CHOICES = ["○", "×"]


def template_xlsx(kind: str) -> bytes:
    """An .xlsx with the dataset's Japanese headers, an example row and enum drop-downs (rows 2–1000)."""
    specs = field_specs(kind)
    buffer = io.BytesIO()
    wb = new_workbook(buffer)
    ws = wb.add_worksheet(kind)
    required = wb.add_format({"bold": True, "bg_color": "#FDE2E1", "border": 1})
    optional = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    example = EXAMPLES.get(kind, {})
    for col, spec in enumerate(specs):
        header = spec.aliases[0]
        ws.write_string(0, col, header, required if spec.required else optional)
        ws.set_column(col, col, max(12, len(header) * 2 + 2))
        value = example.get(spec.name)
        if isinstance(value, (int, float)):
            ws.write_number(1, col, value)
        elif value is not None:
            ws.write_string(1, col, str(value))
        choices = None
        if spec.kind == "enum" and spec.labels:
            choices = [names[0] for names in spec.labels.values()]
        elif spec.kind == "bool":
            choices = BOOL_CHOICES
        if choices:
            ws.data_validation(1, col, 1000, col, {"validate": "list", "source": choices})
        note = "必須" if spec.required else "任意"
        ws.write_comment(0, col, f"{note} / {spec.name} ({spec.kind})")
    ws.freeze_panes(1, 0)
    wb.close()
    return buffer.getvalue()
