"""Validation and load messages in Japanese and English (the CLI and the pages render the same text).

UI labels live in ``ui/strings.py``; this table holds only what ``kpi`` itself reports, so that the
command line, which has no Streamlit, says exactly what the page says.
"""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # ---- row errors (the row is rejected)
    "required_missing": {"ja": "必須項目「{column}」が空です", "en": "required column '{column}' is empty"},
    "invalid_date": {"ja": "「{value}」は日付として読めません（例: 2026/11/20, 令和8年11月20日）", "en": "'{value}' is not a date (e.g. 2026/11/20, 令和8年11月20日)"},
    "invalid_number": {"ja": "「{value}」は数値として読めません（例: 12000, 1.2万円, 85%）", "en": "'{value}' is not a number (e.g. 12000, 1.2万円, 85%)"},
    "invalid_bool": {"ja": "「{value}」は はい/いいえ（○/×）として読めません", "en": "'{value}' is not yes/no (○/×)"},
    "unknown_label": {"ja": "「{value}」は「{column}」の選択肢にありません（使える値: {allowed}）", "en": "'{value}' is not an allowed value of '{column}' (allowed: {allowed})"},
    "negative": {"ja": "「{column}」にマイナスの値 {value} は使えません", "en": "'{column}' cannot be negative ({value})"},
    "out_of_range": {"ja": "「{column}」の値 {value} が範囲外です（{low}〜{high}）", "en": "'{column}' value {value} is out of range ({low}–{high})"},
    "rate_above_one": {"ja": "「{column}」の値 {value} が100%を超えています", "en": "'{column}' value {value} is above 100%"},
    "column_count": {"ja": "列の数がヘッダーと合いません（{value}列）", "en": "the number of cells does not match the header ({value} cells)"},
    "invalid_bytes": {"ja": "この行に文字として読めないバイトがあります（{encoding}）。元のシステムから書き出し直すか、該当セルを修正してください", "en": "this row holds bytes that are not valid {encoding} text; export it again or fix the cell"},
    # ---- warnings (the row is kept)
    "invalid_optional": {"ja": "「{value}」は読めないため空として扱いました（{column}）", "en": "'{value}' could not be read and was treated as empty ({column})"},
    "unmapped_label": {"ja": "「{value}」を「その他」に分類しました（{count}行）。列の対応付けで地域・区分を指定できます", "en": "'{value}' was classed as 'other' ({count} rows); map it in the column mapping"},
    "duplicate_column": {"ja": "列「{column}」は列「{first}」と同じ項目のため無視しました（最初の列を使いました）", "en": "column '{column}' reads as the same field as '{first}' and was ignored (the first one is used)"},
    "no_rows": {"ja": "データ行がありません（見出しのみのファイルです）", "en": "no rows: the file has a header but no data rows"},
    "nul_bytes": {"ja": "文字でないNULバイト（{value}バイト）を読み飛ばしました。元のシステムから書き出し直すことをおすすめします", "en": "{value} NUL bytes (not text) were skipped; exporting the file again is recommended"},
    "extra_cells": {"ja": "ヘッダーより多いセルがあります（{value}列）。余分なセルは無視しました", "en": "more cells than header columns ({value}); the extra cells were ignored"},
    "history_incomplete": {"ja": "データの最初の月は過去の来院履歴がないため、新患と再来の区別が不正確です", "en": "the data's first month has no earlier history, so new vs returning is uncertain"},
    # ---- several files of one kind (kpi.combine, SPEC section 7)
    "combine.corrected_file": {"ja": "「{file}」が新しい内容でもう一度アップロードされたため、修正版として前の版と置き換えました", "en": "'{file}' was uploaded again with other content and replaces the earlier version (a corrected file)"},
    "combine.same_file": {"ja": "「{file}」は「{first}」と同じ内容のため、1回だけ数えました", "en": "'{file}' has the same content as '{first}' and was counted once"},
    "combine.lead_in_two_files": {"ja": "{count}件のリードIDが「{older}」と「{newer}」の両方にあります。後に指定した「{newer}」の行を使いました", "en": "{count} lead IDs are in both '{older}' and '{newer}'; the rows of the later file '{newer}' were used"},
    "combine.identical_rows": {"ja": "複数のファイル（{files}）に全項目が同じ行が{count}行ありました。重複として1回だけ数えました", "en": "{count} rows were identical in every field across files ({files}) and were counted once"},
    "combine.first_visit_partial": {"ja": "初診の列が一部のファイル（{with}）にしかないため、すべての来院で「データ上の最初の来院＝新患」の規則を使いました（初診列なし: {without}）", "en": "only some files ({with}) have a first-visit column, so new patients are taken from each patient's earliest visit in the data for all files (without the column: {without})"},
    # ---- whole-file errors (nothing can be read)
    "empty_file": {"ja": "ファイルが空です。", "en": "The file is empty."},
    "no_data_rows": {"ja": "ヘッダーはありますがデータ行がありません。", "en": "The file has a header but no data rows."},
    "not_text": {"ja": "このファイルはCSV（テキスト）ではありません。Excelで「CSV UTF-8」か「.xlsx」で保存し直してください。", "en": "This file is not a CSV text file. Save it from Excel as 'CSV UTF-8' or '.xlsx'."},
    "unknown_encoding": {"ja": "文字コードを判別できません（UTF-8 / Shift_JIS(cp932) / UTF-16 のいずれでもありません）。", "en": "The text encoding could not be detected (not UTF-8, Shift_JIS/cp932 or UTF-16)."},
    "encrypted": {"ja": "パスワードで保護されたブックは読めません。Excelでパスワードを解除して保存し直してください。", "en": "The workbook is password-protected. Remove the password in Excel and save it again."},
    "old_xls": {"ja": "古いExcel形式（.xls）を読めませんでした。Excelで「.xlsx」形式で保存し直してください。", "en": "The old Excel format (.xls) could not be read. Save it as .xlsx in Excel."},
    "broken_xlsx": {"ja": "Excelファイルが壊れているか、途中で切れています。元のファイルをもう一度書き出してください。", "en": "The Excel file is damaged or truncated. Export it again."},
    "not_spreadsheet": {"ja": "このファイルはExcelでもCSVでもありません（{what}）。", "en": "This file is neither Excel nor CSV ({what})."},
    "too_large": {"ja": "ファイルを展開すると大きすぎます（{what}）。安全のため読み込みを中止しました。", "en": "The file expands to too much data ({what}); it was refused for safety."},
    "odd_cell_ref": {"ja": "Excelファイルに、Excelが書き出さない形のセル番地（{ref}）があります。安全のため読み込みを中止しました。Excelで開いて保存し直してください。", "en": "The Excel file holds a cell reference Excel never writes ({ref}); it was refused for safety. Open it in Excel and save it again."},
    "unsafe_xlsx": {"ja": "Excelファイルに、Excelが書き出さないXMLの定義（DTD・エンティティ）が含まれています。安全のため読み込みを中止しました。Excelで開いて保存し直してください。", "en": "The Excel file contains XML definitions Excel never writes (DTD / entities); it was refused for safety. Open it in Excel and save it again."},
    "sheet_not_found": {"ja": "シート「{sheet}」がありません（あるシート: {sheets}）。", "en": "There is no sheet '{sheet}' (sheets: {sheets})."},
    "unknown_kind": {"ja": "どのデータか判別できません。先頭20行に次のような見出しが必要です（{expected}）。", "en": "The kind of data could not be recognised. The first 20 rows need headers such as ({expected})."},
    "missing_required": {"ja": "必須列が見つかりません（{kind}）: {columns}。列の対応付け（--mapping）で指定してください。", "en": "Required columns not found ({kind}): {columns}. Map them (--mapping)."},
    "bad_mapping": {"ja": "対応付けファイルが正しくありません: {what}", "en": "The mapping file is not valid: {what}"},
    # ---- a mapping file's entries, checked before it is used (SPEC 7); {where} is 「file name」 when known
    "mapping.unknown_field": {"ja": "対応付けファイル{where}の {entry} は使えません。「{field}」という項目はありません（{kind}）。", "en": "The mapping file{where} has an entry that cannot be used, {entry}: there is no field '{field}' ({kind})."},
    "mapping.not_enum": {"ja": "対応付けファイル{where}の {entry} は使えません。「{field}」は選択肢の項目ではないため、値の対応付け（values）はできません。", "en": "The mapping file{where} has an entry that cannot be used, {entry}: '{field}' is not a field with fixed values, so it takes no 'values'."},
    "mapping.bad_code": {"ja": "対応付けファイル{where}の {entry} は使えません。「{value}」は「{field}」の値ではありません（使える値: {allowed}）。", "en": "The mapping file{where} has an entry that cannot be used, {entry}: '{value}' is not a value of '{field}' (allowed: {allowed})."},
    "mapping.bad_constant": {"ja": "対応付けファイル{where}の {entry} は使えません。固定値（constants）には文字・数値・日付だけが使えます。", "en": "The mapping file{where} has an entry that cannot be used, {entry}: a constant must be plain text, a number or a date."},
    "mapping_header_missing": {"ja": "対応付けの列「{column}」（→ {value}）がこのファイルにありません", "en": "the mapping names a column '{column}' (-> {value}) that this file does not have"},
    "ambiguous_columns": {"ja": "同じ必須項目に当たる列が2つ以上あり、どちらを使うか決められません（{kind}）: {columns}。列の対応付け（--mapping）でどちらか一方を指定するか、ファイルの列名を直してください。", "en": "More than one column reads as the same required field ({kind}): {columns}. Map one of them (--mapping) or rename a column in the file."},
    "csv_delimiter": {"ja": "区切り文字が「{delimiter}」のCSVは読めません。カンマ区切り（CSV UTF-8）かタブ区切り、または「.xlsx」で保存し直してください。", "en": "This CSV is separated by '{delimiter}', which is not read. Save it comma-separated (CSV UTF-8), tab-separated or as .xlsx."},
    "no_visible_sheet": {"ja": "表示されているシートがありません（非表示のシート: {sheets}）。シート名を指定してください（--sheet）。", "en": "The workbook has no visible sheet (hidden: {sheets}). Name the sheet to read (--sheet)."},
    "unreadable": {"ja": "ファイルを読めませんでした: {what}", "en": "The file could not be read: {what}"},
    "csv_field_too_large": {"ja": "CSVの{row}行目に大きすぎるセル（{limit}文字超）があります。引用符（\"）の閉じ忘れがないか確認し、書き出し直してください。", "en": "Row {row} of the CSV holds a cell larger than {limit} characters. Check for a missing closing quote (\") and export it again."},
    "csv_unreadable_line": {"ja": "CSVの{row}行目を読めません（引用符（\"）の位置が正しくありません）。書き出し直してください。", "en": "Row {row} of the CSV cannot be read (a quote (\") is out of place). Export it again."},
    # ---- the weekly memory (SPEC section 5): moves between two leads snapshots (kpi.moves) and the history
    #      store (kpi.history). One block; codes start with "moves." or "history.".
    "moves.duplicate_lead": {"ja": "「{file}」で{count}件のリードIDが複数の行にあります。各IDの最後の行を使いました: {details}", "en": "{count} lead IDs occur on more than one row of '{file}'; the last row of each was used: {details}"},
    "moves.after_as_of": {"ja": "「{file}」の{count}件のリードは基準日 {as_of} より後に作成されたため、このスナップショットに含めませんでした", "en": "{count} leads of '{file}' were created after its as-of date {as_of} and are not part of that snapshot"},
    "moves.same_as_of": {"ja": "2つのスナップショットの基準日が同じ（{as_of}）です。指定された順に「{older}」を前、「{newer}」を後として比べました", "en": "both snapshots have the same as-of date ({as_of}); '{older}' was taken as the older and '{newer}' as the newer, in the order given"},
    "moves.not_leads": {"ja": "「{file}」は{kind}のファイルです（比較には営業案件のファイルを2つ指定してください）。", "en": "'{file}' holds {kind}, not leads; moves compares two leads files."},
    "history.no_store": {"ja": "履歴ストアが指定されていません（--store でファイルを指定するか、環境変数 KPI_STORE を設定してください）。", "en": "No history store was given; pass --store PATH or set KPI_STORE."},
    "history.no_duckdb": {"ja": "履歴ストアには DuckDB が必要です（pip install -r requirements.txt）。", "en": "The history store needs DuckDB; run pip install -r requirements.txt."},
    "history.busy": {"ja": "履歴ストア「{store}」は別の処理が使用中で、{seconds}秒待っても読み書きできなかったため、何も変更していません（しばらくしてからもう一度実行してください）。", "en": "The history store '{store}' was in use by another process for {seconds} seconds, so nothing was read or written; try again shortly."},
    "history.not_a_store": {"ja": "「{store}」は履歴ストア（DuckDB データベース）として開けません: {what}", "en": "'{store}' cannot be opened as a history store (a DuckDB database): {what}"},
    "history.newer_schema": {"ja": "履歴ストア「{store}」はこのアプリより新しい版で作られているため、アプリを更新してから開いてください（スキーマ {found}、このアプリは {supported} まで）。", "en": "The history store '{store}' was written by a newer version (schema {found}; this one reads up to {supported}); update the app."},
    "history.key_missing": {"ja": "履歴ストア「{store}」には患者IDを仮名化した来院記録があるため、鍵ファイル「{key}」（または環境変数 KPI_STORE_KEY）がないと来院記録を追加できません（鍵ファイルを元の場所に戻してください）。", "en": "The history store '{store}' holds pseudonymised clinic visits, so no visits can be added without its key file '{key}' (or KPI_STORE_KEY): put the key file back beside the store."},
    "history.key_mismatch": {"ja": "履歴ストア「{store}」の患者IDは別の鍵で仮名化されています。保存時と同じ鍵ファイル（または KPI_STORE_KEY）を使ってください。", "en": "The patient IDs in the history store '{store}' were pseudonymised with a different key; use the key file (or KPI_STORE_KEY) they were written with."},
    "history.no_week": {"ja": "データに日付がないため週を決められません（--week YYYY-MM-DD で指定してください）。", "en": "The data has no dates to take the week from; give --week YYYY-MM-DD."},
    "history.no_snapshot": {"ja": "{week} の{kind}のスナップショットは保存されていません（保存済みの週: {weeks}）。", "en": "No {kind} snapshot is stored for {week} (stored weeks: {weeks})."},
    "history.not_enough_leads": {"ja": "比較には営業案件のスナップショットが2週分必要です（保存済み: {count}週）。", "en": "Moves need two stored leads snapshots ({count} stored)."},
    "history.unknown_kpi": {"ja": "KPI「{key}」は登録されていません（python -m kpi kpis で一覧を表示できます）。", "en": "There is no KPI '{key}' in the registry (python -m kpi kpis lists them)."},
    "history.unknown_kind": {"ja": "「{kind}」はデータの種類ではありません（{kinds}）。", "en": "'{kind}' is not a dataset kind ({kinds})."},
    "history.no_action": {"ja": "アクション {id} は保存されていません。", "en": "There is no action {id}."},
    "history.bad_action": {"ja": "アクションの項目が正しくありません: {what}", "en": "The action is not valid: {what}"},
}

# Labels of enum codes, shared by the pages (ui/strings merges them) and the workbook (kpi/report.py):
# one table, so a stage is called the same on the screen and on paper.
ENUM_LABELS: dict[str, dict[str, str]] = {
    "region.osaka": {"ja": "大阪", "en": "Osaka"},
    "region.kyoto": {"ja": "京都", "en": "Kyoto"},
    "region.kobe": {"ja": "神戸・兵庫", "en": "Kobe / Hyogo"},
    "region.nara": {"ja": "奈良", "en": "Nara"},
    "region.other": {"ja": "その他", "en": "Other"},
    "segment.hospital": {"ja": "病院", "en": "Hospital"},
    "segment.medical": {"ja": "医療・クリニック", "en": "Medical / clinic"},
    "segment.healthcare": {"ja": "ヘルスケア", "en": "Healthcare"},
    "segment.general": {"ja": "一般企業", "en": "General B2B"},
    "segment.other": {"ja": "その他", "en": "Other"},
    "owner_role.agency": {"ja": "代行会社", "en": "Agency"},
    "owner_role.inside_sales": {"ja": "インサイドセールス", "en": "Inside sales"},
    "owner_role.field_sales": {"ja": "フィールドセールス", "en": "Field sales"},
    "owner_role.consultant": {"ja": "コンサル", "en": "Consultant"},
    "owner_role.partner": {"ja": "支援会社", "en": "Partner"},
    "stage.lead": {"ja": "リード", "en": "Lead"},
    "stage.contact": {"ja": "接触", "en": "Contact"},
    "stage.meeting": {"ja": "商談", "en": "Meeting"},
    "stage.poc": {"ja": "PoC", "en": "PoC"},
    "stage.approval": {"ja": "稟議", "en": "Approval"},
    "stage.collected": {"ja": "回収", "en": "Collected"},
    "status.open": {"ja": "進行中", "en": "Open"},
    "status.won": {"ja": "受注", "en": "Won"},
    "status.lost": {"ja": "失注", "en": "Lost"},
    "rag.green": {"ja": "達成", "en": "On target"},
    "rag.yellow": {"ja": "注意", "en": "Watch"},
    "rag.red": {"ja": "未達", "en": "Below"},
}

# Registry vocabulary (kpi/registry.py, SPEC 6): the team's layers, cadences and whose number a KPI is.
LAYER_LABELS: dict[str, tuple[str, str]] = {"result": ("結果", "Result"), "leading": ("手前", "Leading"), "habit": ("習慣", "Habit")}
CADENCE_LABELS: dict[str, tuple[str, str]] = {"quarter": ("四半期", "Quarterly"), "month": ("月次", "Monthly"),
                                              "week": ("週次", "Weekly"), "day": ("日次", "Daily")}
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "agency": ("代行会社", "Agency"), "inside_sales": ("インサイドセールス", "Inside sales"),
    "field_sales": ("フィールドセールス", "Field sales"), "consultant": ("コンサル", "Consultant"),
    "partner": ("支援会社", "Partner"), "manager": ("マネージャー", "Manager"), "clinic": ("院長・スタッフ", "Clinic"),
    "cs": ("カスタマーサクセス", "Customer success"), "liaison": ("地域連携室", "Liaison office"),
}
# What a tile says around its number (kpi.registry.TileView, ui.widgets.registry_tile).
TILE_TEXT: dict[str, tuple[str, str]] = {
    "meta": ("{layer}・{cadence}・{owner}", "{layer} · {cadence} · {owner}"),
    "target": ("目標 {target}", "target {target}"),
    "target_max": ("上限 {target}", "at most {target}"),
    "no_rows": ("データがありません", "no rows"),
}

# Clinic (kpi.clinic.ClinicSettings, issue 16): menu names of machine-only treatments, left out of the price per 10
# minutes when a visits file has a menu column (matched after NFKC, case-insensitive, whole name).
MACHINE_ONLY_MENUS: tuple[str, ...] = ("EMS", "メドマー", "ウォーターベッド", "干渉波", "低周波")

# Headers of the clinic monthly table (kpi.clinic.MONTHLY_HEADERS: workbook and page downloads) and its sheet name.
CLINIC_MONTHLY_HEADERS: dict[str, dict[str, str]] = {
    "ja": {
        "clinic": "院名", "month": "月", "visits": "来院数", "patients": "患者数", "new": "新患", "carryover": "継続",
        "returning": "再来（再新患）", "frequency": "来院頻度", "second_visit_rate": "2回目リピート率",
        "new_eligible": "判定対象の新患", "new_pending": "判定待ちの新患", "second_visits": "14日以内に2回目",
        "cancel_rate": "キャンセル率", "cancelled": "キャンセル・無断", "revenue": "売上", "avg_price": "客単価",
        "price_per_10min": "10分単価", "self_pay_ratio": "自費率", "history_incomplete": "履歴不完全",
    },
    "en": {
        "clinic": "Clinic", "month": "Month", "visits": "Visits", "patients": "Patients", "new": "New",
        "carryover": "Carry-over", "returning": "Returning", "frequency": "Frequency",
        "second_visit_rate": "2nd-visit rate", "new_eligible": "New (eligible)", "new_pending": "New (pending)",
        "second_visits": "2nd visit ≤14 days", "cancel_rate": "Cancel rate", "cancelled": "Cancelled + no-show",
        "revenue": "Revenue", "avg_price": "Avg price", "price_per_10min": "Price / 10 min",
        "self_pay_ratio": "Self-pay ratio", "history_incomplete": "History incomplete",
    },
}
CLINIC_SHEET: tuple[str, str] = ("院KPI", "Clinic")

# 失注理由・差し戻し理由 classes (kpi.funnel.classify_reason, issue 15): (code, keywords); the first class with a
# keyword inside the text wins, so the more specific classes come first. Labels: REASON_LABELS.
REASON_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("security", ("セキュリティ", "個人情報", "情報システム", "責任分界", "データの流れ", "データフロー", "security", "privacy")),
    ("payback", ("回収期間", "費用対効果", "効果", "ROI", "payback")),
    ("budget", ("予算", "費用", "コスト", "価格", "高い", "budget", "price", "cost")),
    ("competitor", ("競合", "他社", "competitor")),
    ("approval", ("稟議", "否決", "決裁", "役員", "approval", "board")),
    ("timing", ("時期", "尚早", "来期", "延期", "見送", "timing")),
    ("person", ("異動", "担当者", "キーマン", "退職")),
    ("no_need", ("ニーズ", "不要", "need")),
    ("no_contact", ("連絡", "不通", "no contact")),
    ("paperwork", ("資料", "書類", "記載", "添付", "代替案", "比較", "document", "alternative")),
)
REASON_LABELS: dict[str, tuple[str, str]] = {
    "security": ("情報セキュリティ・責任分界", "Security / responsibility"), "payback": ("費用対効果・回収期間", "Value / payback"),
    "budget": ("予算・価格", "Budget / price"), "competitor": ("競合", "Competitor"), "approval": ("稟議・決裁", "Approval / board"),
    "timing": ("時期", "Timing"), "person": ("担当者・キーマン", "People"), "no_need": ("ニーズなし", "No need"),
    "no_contact": ("連絡つかず", "No contact"), "paperwork": ("資料・比較の不足", "Documents / comparison"), "other": ("その他", "Other"),
    "blank": ("（未記入）", "(blank)"),
}


KIND_LABELS = {
    "leads": {"ja": "営業案件", "en": "leads"},
    "activities": {"ja": "活動記録", "en": "activities"},
    "visits": {"ja": "来院・予約記録", "en": "clinic visits"},
    "onboarding": {"ja": "オンボーディング受講記録", "en": "onboarding sessions"},
    "referrals": {"ja": "紹介・逆紹介", "en": "referrals"},
}


def message(code: str, lang: str = "ja", **params) -> str:
    """Render one message; unknown parameters are left visible rather than raising."""
    template = MESSAGES.get(code, {}).get(lang) or MESSAGES.get(code, {}).get("ja") or code
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


# Labels and sentences the kpi modules write themselves (sheet headers, confidence reasons, sub-score names …):
# ``TEXT[key] = (ja, en)``, read with :func:`text`. One table, so no kpi module holds words of its own.
TEXT: dict[str, tuple[str, str]] = {
    # CRM adoption sub-scores (kpi.adoption.DEFINITIONS): name and definition, (ja, en)
    "adoption.sub.active_rate": ("アクティブ率", "Active users"),
    "adoption.def.active_rate": ("直近28日に活動記録があるか、担当案件を更新したユーザー ÷ ユーザー（担当者・活動者の重複なし）", "Users with an activity or an update of an own lead in the last 28 days ÷ users (distinct owners and reps)"),
    "adoption.sub.activity_logging_rate": ("活動記録率", "Activity logging"),
    "adoption.def.activity_logging_rate": ("直近28日に活動記録（リードIDで紐づけ）がある進行中案件 ÷ 進行中案件", "Open leads with an activity (linked by lead ID) in the last 28 days ÷ open leads"),
    "adoption.sub.stage_update_rate": ("更新率", "Stage updates"),
    "adoption.def.stage_update_rate": ("直近28日に最終更新日がある進行中案件 ÷ 進行中案件", "Open leads with updated_on in the last 28 days ÷ open leads"),
    "adoption.sub.next_action_rate": ("次回アクション設定率", "Next action set"),
    "adoption.def.next_action_rate": ("次回アクション日が基準日以降の進行中案件 ÷ 進行中案件", "Open leads with next_action_on on or after as-of ÷ open leads"),
    "adoption.sub.required_fill_rate": ("必須項目入力率", "Required fields filled"),
    "adoption.def.required_fill_rate": ("取引先・業種（その他以外）・地域（その他以外）・担当者、進行中なら次回アクション日まで入力済みの案件 ÷ 全案件", "Leads with account, segment ≠ other, region ≠ other, owner and (open leads) next_action_on ÷ leads"),
    "adoption.sub.unique_rate": ("重複なし率", "Not duplicated"),
    "adoption.def.unique_rate": ("1 − 重複率。重複キー = 正規化した取引先＋先方担当者（担当者なしは取引先＋作成日）。正規化: 全角半角・大小文字・空白を統一し、社会医療法人・医療法人・株式会社・(株)を除去", "1 − duplicate rate. Key = normalised account + contact (account + created date without contact); normalising unifies width, case, spaces and removes 社会医療法人, 医療法人, 株式会社, (株)"),
    "adoption.sub.lost_reason_rate": ("失注理由入力率", "Lost reason filled"),
    "adoption.def.lost_reason_rate": ("失注理由がある失注案件 ÷ 失注案件", "Lost leads with a lost reason ÷ lost leads"),
    "adoption.sub.freshness": ("鮮度（14日以内更新）", "Freshness (updated ≤ 14 days)"),
    "adoption.def.freshness": ("直近14日に最終更新日がある進行中案件 ÷ 進行中案件", "Open leads updated in the last 14 days ÷ open leads"),
    "adoption.sub.first_response_rate": ("初回24時間以内対応率", "First response within 24 h"),
    "adoption.def.first_response_rate": ("作成から24時間以内に初回対応した案件 ÷ 全案件（未対応も分母）。作成日に時刻がなければ当日・翌日中の対応を含む", "Leads first answered within 24 h of creation ÷ all leads (unanswered included); same or next day when created_at has no time"),
    "adoption.sub.meeting_conversion_score": ("商談化率（対目標）", "Meeting conversion vs target"),
    "adoption.def.meeting_conversion_score": ("min(1, 商談化率 ÷ 目標)。商談化率 = 商談到達 ÷ 接触到達（ファネルと同じ）", "min(1, meeting conversion ÷ target); conversion = reached meeting ÷ reached contact (as on the funnel)"),
    "adoption.sub.win_rate_score": ("受注率（対基準25%）", "Win rate vs 25%"),
    "adoption.def.win_rate_score": ("min(1, 受注率 ÷ 基準)。受注率 = 受注 ÷ (受注＋失注)", "min(1, win rate ÷ reference); win rate = won ÷ (won + lost)"),
    "adoption.sub.not_stalled_rate": ("停滞なし率", "Not stalled"),
    "adoption.def.not_stalled_rate": ('1 − 停滞案件 ÷ 進行中案件（停滞 = ステージの上限日数を超えた進行中案件）', "1 − stalled ÷ open leads (stalled = open lead past its stage's day limit)"),
    "adoption.layer.usage": ("利用", "Usage"),
    "adoption.layer.data": ("データ品質", "Data quality"),
    "adoption.layer.outcomes": ("成果", "Outcomes"),
    "adoption.layer.overall": ("総合", "Overall"),
    "adoption.sheet.layer": ("層", "Layer"),
    "adoption.sheet.score": ("スコア(0-100)", "Score (0-100)"),
    "adoption.sheet.subscore": ("指標", "Sub-score"),
    "adoption.sheet.value": ("値", "Value"),
    "adoption.sheet.numerator": ("分子", "Numerator"),
    "adoption.sheet.denominator": ("分母", "Denominator"),
    "adoption.sheet.enabling": ("必要な列", "Enabling column"),
    "adoption.sheet.definition": ("定義", "Definition"),
    "adoption.sheet.title": ("CRM定着スコア", "CRM adoption"),
    "adoption.sheet.title_detail": ("CRM定着スコア内訳", "CRM adoption detail"),
    "registry.readme_ja": ("日本語", "Japanese"),
    # kpi.ingest: pieces of load messages and of the rejected-rows file
    "load.any_kind": ("全データ種別", "any kind of data"),
    "load.field_name": ("{header}（{field}）", "{field}"),
    "load.clash_column": ("「{header}」（{letters}列）", "'{header}' (column {letters})"),
    "load.clash_and": ("と", " and "),
    "load.clash_field": (" → {header}（{field}）", " -> {field}"),
    "load.clash_sep": ("、", "; "),
    "load.header_sep": ("・", ", "),
    "load.column_n": ("列{n}", "column {n}"),  # a column without a header (the name kept in the data is the ja one)
    "rejected.row": ("行番号", "row"),
    "rejected.errors": ("エラー内容", "errors"),
    "timeline.rep_note": ("：", ": "),  # rep：note in a lead's timeline  # the README KPI table's column of Japanese names
    # kpi.confidence: why a 信頼度 is what it is
    "confidence.no_rows": ("データがありません", "no rows"),
    "confidence.fill_rate": ("入力率 {pct}", "fill rate {pct}"),
    "confidence.sparse": ("空欄が多い列: {columns}", "sparse columns: {columns}"),
    "confidence.fresh_open": ("進行中の案件のうち{days}日以内に更新 {pct}", "open deals updated within {days} days {pct}"),
    "confidence.fresh": ("{days}日以内に更新 {pct}", "updated within {days} days {pct}"),
    "confidence.rows": ("{rows}行から算出", "from {rows} rows"),
    # kpi.moves: the rows of a duplicated lead ID
    "moves.dup_rows": ("{lead}（{rows}）", "{lead} (rows {rows})"),
    "moves.dup_row": ("{row}行目", "{row}"),
    "moves.dup_row_sep": ("・", ", "),
    "moves.dup_sep": ("、", "; "),
    "moves.dup_more": (" ほか{more}件", "; and {more} more"),
    # kpi.pdf: the weekly review as an A4-landscape PDF
    "pdf.title": ("週次レビュー", "Weekly review"),
    "pdf.week": ("対象週 {start} 〜 {end}", "Week {start} – {end}"),
    "pdf.as_of": ("基準日 {as_of}（先週 = {prev}）", "As of {as_of} (last week = {prev})"),
    "pdf.data": ("データ: {items}", "Data: {items}"),
    "pdf.data_item": ("{kind} {rows:,}行", "{kind} {rows:,} rows"),
    "pdf.contents": ("1. ファネルとボトルネック  2. 未達（赤）のKPI  3. 習慣KPIと初回対応SLA  4. アクション",
                     "1. Funnel and bottleneck  2. Red KPIs  3. Habits and first-response SLA  4. Actions"),
    "pdf.no_font": ("", "No Japanese font (Noto Sans CJK) was found on this machine: this PDF is written in English and names in Japanese are shown as '?'."),
    "pdf.page": ("{n} / {total}", "{n} / {total}"),
    "pdf.sep": ("、", ", "),
    "pdf.funnel": ("1. ファネルとボトルネック", "1. Funnel and bottleneck"),
    "pdf.bottleneck": ("ボトルネック: {a} → {b}（転換率 {conv} ÷ 目標 {target} = {ratio}）", "Bottleneck: {a} → {b} (conversion {conv} ÷ target {target} = {ratio})"),
    "pdf.no_bottleneck": ("ボトルネックを判定できません。", "No bottleneck can be named."),
    "pdf.no_leads": ("営業案件データがありません。", "No leads data."),
    "pdf.chart.reached": ("到達件数（赤=ボトルネックの段階）", "Leads reached (red = the bottleneck step)"),
    "pdf.col.stage": ("段階", "Stage"),
    "pdf.col.reached": ("到達", "Reached"),
    "pdf.col.reached_prev": ("先週", "Last week"),
    "pdf.col.conversion": ("転換率", "Conversion"),
    "pdf.col.target": ("目標", "Target"),
    "pdf.col.rag": ("判定", "Status"),
    "pdf.rag.green": ("達成", "green"),
    "pdf.rag.yellow": ("注意", "yellow"),
    "pdf.rag.red": ("未達", "red"),
    "pdf.red": ("2. 未達（赤）のKPI", "2. Red KPIs"),
    "pdf.red_none": ("赤のKPIはありません。", "No KPI is red."),
    "pdf.col.kpi": ("KPI", "KPI"),
    "pdf.col.value": ("今週", "This week"),
    "pdf.col.owner": ("責任者", "Owner"),
    "pdf.col.layer": ("層", "Layer"),
    "pdf.habits": ("3. 習慣KPIと初回対応SLA", "3. Habits and first-response SLA"),
    "pdf.chart.minutes": ("担当者別 24時間以内議事録送付率（点線=目標）", "Minutes sent within 24 h by rep (dashed = target)"),
    "pdf.chart.sla": ("担当者別 初回対応SLA遵守率（点線=目標）", "First-response SLA by owner (dashed = target)"),
    "pdf.sla_none": ("初回対応SLAの対象案件はありません（担当区分・初回返信日時の列が必要です）。", "No lead for the first-response SLA (needs owner_role and first_response_at)."),
    "pdf.actions": ("4. アクション", "4. Actions"),
    "pdf.actions_none": ("登録されたアクションはありません。", "No actions recorded."),
    "pdf.col.action": ("アクション", "Action"),
    "pdf.col.deadline": ("期限", "Deadline"),
    "pdf.col.status": ("状態", "Status"),
    "pdf.status.open": ("未完了", "open"),
    "pdf.status.done": ("完了", "done"),
    "pdf.status.dropped": ("中止", "dropped"),
    "pdf.charts_missing": ("（グラフを描けませんでした: {reason}）", "(chart not drawn: {reason})"),
}


def text(key: str, lang: str = "ja", **params) -> str:
    """One entry of :data:`TEXT` in ``lang`` (Japanese unless "en"), formatted with ``params``."""
    entry = TEXT[key][1 if lang == "en" else 0]
    return entry.format(**params) if params else entry


# ---- the weekly review workbook's own words (kpi/report.py ``label``): sheet names, headers, titles, causes.
#      ``REPORT_TEXT[key] = (ja, en)``. A registry KPI is never named here: the workbook takes its name from
#      kpi.registry (KPI_TEXT above), and layer / cadence / owner words from LAYER_LABELS / CADENCE_LABELS /
#      ROLE_LABELS; enum codes (stage, region, rag …) from ENUM_LABELS.
REPORT_TEXT: dict[str, tuple[str, str]] = {
    "sheet.kpi": ("KPI表", "KPI table"), "sheet.funnel": ("ファネル", "Funnel"), "sheet.bottleneck": ("ボトルネック", "Bottleneck"),
    "sheet.stalled": ("停滞案件", "Stalled leads"), "sheet.actions": ("アクション", "Actions"), "sheet.habits": ("習慣KPI", "Habits"),
    "title": ("週次レビュー", "Weekly review"), "as_of": ("基準日", "As of"), "prev": ("先週", "Last week"),
    "col.kpi": ("KPI", "KPI"), "col.value": ("値", "Value"), "col.target": ("目標", "Target"),
    "col.rag": ("判定", "Status"), "col.prev": ("先週", "Last week"), "col.n": ("対象件数", "Rows"), "col.owner_roles": ("責任者", "Owner"),
    "col.stage": ("段階", "Stage"), "col.reached": ("到達数", "Reached"), "col.conversion": ("転換率", "Conversion"),
    "col.lost": ("離脱数", "Lost"), "col.amount_yen": ("金額（円）", "Amount (¥)"),
    "col.reached_prev": ("到達数（先週）", "Reached (last week)"), "col.reached_delta": ("増減", "Change"),
    "col.conversion_prev": ("転換率（先週）", "Conversion (last week)"), "col.conversion_delta": ("転換率の増減", "Conversion change"),
    "col.lead_id": ("案件ID", "Lead ID"), "col.account": ("取引先", "Account"), "col.owner": ("担当者", "Owner"),
    "col.owner_role": ("担当区分", "Role"), "col.region": ("地域", "Region"), "col.segment": ("区分", "Segment"),
    "col.status": ("ステータス", "Status"), "col.key_person": ("キーマン", "Key person"), "col.lost_reason": ("失注理由", "Lost reason"),
    "col.stage_date": ("段階の日付", "Stage date"), "col.days_in_stage": ("滞留日数", "Days in stage"), "col.limit_days": ("上限日数", "Limit (days)"),
    "col.action": ("アクション", "Action"), "col.deadline": ("期限", "Deadline"),
    "col.rep": ("担当者", "Rep"), "col.visits": ("訪問件数", "Visits"), "col.visit_days": ("訪問日数", "Visit days"),
    "col.committee": ("審査", "Committee"), "col.captured": ("把握件数", "Captured"), "col.rate": ("把握率", "Rate"),
    "col.layer": ("層", "Layer"), "col.cadence": ("頻度", "Cadence"), "col.note": ("備考", "Note"),
    "kpi.na": ("n/a", "n/a"), "kpi.needs": ("必要な列: {columns}", "needs column: {columns}"),
    "committee.ethics_review_on": ("倫理審査", "Ethics review"), "committee.it_review_on": ("情報審査", "IT review"),
    "committee.purchasing_review_on": ("購買審査", "Purchasing review"), "committee.board_on": ("役員会", "Board"),
    "chart.funnel": ("ファネル（基準日 {as_of}）", "Funnel (as of {as_of})"),
    "bottleneck": ("今週のボトルネック", "This week's bottleneck"), "bottleneck.none": ("判定できません", "none"),
    "bottleneck.detail": ("転換率 {conv}（目標 {target}、目標比 {ratio}）、この段階で止まっている案件 {lost}件", "conversion {conv} (target {target}, {ratio} of target), {lost} leads stopped at the step"),
    "compare": ("今週と先週の比較（先週 = {prev}）", "This week vs last week (last week = {prev})"),
    "lost_leads": ("{a}まで進んで{b}に届いていない案件（{n}）", "Leads that reached {a} but not {b} ({n})"),
    "reps": ("担当者別", "By rep"), "committees": ("審査会ごとの審査日把握率", "Review-date capture per committee"),
    "cause.script": ("トークスクリプトの穴", "Gaps in the sales script"), "cause.key_person": ("キーマン不明", "Key person unknown"),
    "cause.review": ("審査資料の不足", "Review materials missing"), "cause.habits": ("働き方KPIの弱さ", "Weak work-style KPIs"),
    "cause.travel": ("移動の非効率", "Travel inefficiency"), "causes": ("原因の候補と裏付けの数字", "Possible causes and their numbers"),
    "col.cause": ("原因", "Cause"), "no_actions": ("（アクションは未入力）", "(no actions entered)"),
    "col.week_raised": ("起票週", "Week raised"), "col.kpi_or_bottleneck": ("対象（KPI・ボトルネック）", "KPI or bottleneck"),
    "action_status.open": ("継続中", "Open"), "action_status.done": ("完了", "Done"), "action_status.dropped": ("取りやめ", "Dropped"),
    "col.chosen": ("会議で選んだ原因", "Chosen in the meeting"), "chosen.yes": ("✓ 選択", "✓ chosen"),
    "causes.chosen": ("原因（会議で選んだもの ✓ と、裏付けの数字）", "Causes (✓ = chosen in the meeting) and their numbers"),
    # issue 15 sheets: remedies (kpi.playbook), hospital vs general B2B and send-backs (kpi.funnel)
    "sheet.remedies": ("打ち手", "Remedies"), "sheet.hospital_b2b": ("病院と一般企業", "Hospital vs B2B"),
    "sheet.send_backs": ("差し戻しと理由", "Send-backs"),
    "remedies": ("ボトルネックと未達（赤）のKPIへの打ち手（プレイブックより）", "Remedies for the bottleneck and every red KPI (from the playbook)"),
    "col.remedy": ("打ち手", "Remedy"), "col.for_bottleneck": ("ボトルネック", "Bottleneck"), "col.red": ("未達", "Red"),
    "send_backs.trend": ("PoC合意の月ごとの差し戻し", "Send-backs by month of the PoC date"),
    "reasons": ("失注理由・差し戻し理由（分類）", "Lost and send-back reasons (classified)"),
    "col.period": ("期間", "Period"), "col.leads": ("案件数", "Leads"), "col.sent_back": ("差し戻し件数", "Sent back"),
    "col.kind": ("種別", "Kind"), "col.reason_class": ("理由の分類", "Reason class"), "col.share": ("割合", "Share"),
    "col.examples": ("例", "Examples"), "kind.lost": ("失注", "Lost"), "kind.sent_back": ("差し戻し", "Sent back"),
}


# ---- weekly workbook sheets of the onboarding and referral liaison pages (kpi.onboarding / kpi.referrals report_tables)
ONBOARDING_REPORT_HEADERS: dict[str, tuple[str, str]] = {
    "metric": ("指標", "Metric"), "value": ("値", "Value"), "session": ("回", "Session"), "reached": ("到達人数", "Users reached"),
    "customer": ("顧客", "Customer"), "user": ("受講者", "User"), "last_session": ("最終実施回", "Last session done"),
    "last_done_on": ("最終実施日", "Last done on"), "days_since": ("経過日数", "Days since"),
}
ONBOARDING_REPORT_METRICS: dict[str, tuple[str, str]] = {
    "users": ("受講者数", "Users"), "started": ("開始（第1回実施）", "Started (session 1 done)"),
    "graduated": ("修了（第12回実施）", "Graduated (session 12 done)"), "graduation_rate": ("修了率", "Graduation rate"),
    "dropped": ("離脱（{days}日実施なし）", "Dropped (no session in {days} days)"), "attendance_rate": ("出席率", "Attendance rate"),
    "days_to_graduate": ("修了までの日数（中央値）", "Days to graduate (median)"), "nps": ("NPS", "NPS"),
}
ONBOARDING_SHEETS: dict[str, tuple[str, str]] = {"headline": ("オンボーディング", "Onboarding"), "reach": ("到達回", "Onboarding reach"),
                                                  "stalled": ("離脱者", "Stalled users")}
REFERRALS_REPORT_HEADERS: dict[str, tuple[str, str]] = {
    "metric": ("指標", "Metric"), "value": ("値", "Value"), "institution": ("医療機関", "Institution"),
    "department": ("診療科", "Department"), "area": ("地域", "Area"), "in": ("紹介（受）", "Referred in"),
    "out": ("逆紹介", "Referred out"), "reverse_ratio": ("逆紹介比", "Reverse ratio"),
    "in_last3": ("直近3か月の紹介", "In, last 3 months"), "in_prior3": ("その前3か月の紹介", "In, 3 months before"),
    "change": ("増減", "Change"), "change_rate": ("増減率", "Change rate"),
    "out_last3": ("直近3か月の逆紹介", "Out, last 3 months"), "out_prior3": ("その前3か月の逆紹介", "Out, 3 months before"),
}
REFERRALS_REPORT_METRICS: tuple[tuple[str, str], ...] = (("医療機関数", "Institutions"), ("紹介（受）", "Referred in"), ("逆紹介", "Referred out"),
                                                    ("逆紹介比（逆紹介÷紹介）", "Reverse ratio (out / in)"))
REFERRALS_SHEETS: dict[str, tuple[str, str]] = {"headline": ("地域連携", "Referrals"), "institutions": ("医療機関別", "By institution"),
                                                 "trend": ("紹介の増減", "Referral trend")}


# The registry's KPIs as the team says them (kpi/registry.py reads its labels and definitions here):
# ``KPI_TEXT[key] = {"label": (ja, en), "definition": (ja, en)}``.
KPI_TEXT: dict[str, dict[str, tuple[str, str]]] = {
    "lead_count": {"label": ('リード数', 'Leads'), "definition": ('リードに到達した案件数（その段階かそれ以降の日付がある案件）', 'Leads that reached lead (a date of that stage or of any later stage)')},
    "contact_count": {"label": ('接触数', 'Contacted'), "definition": ('接触に到達した案件数（その段階かそれ以降の日付がある案件）', 'Leads that reached contact (a date of that stage or of any later stage)')},
    "meeting_count": {"label": ('商談数', 'Meetings'), "definition": ('商談に到達した案件数（その段階かそれ以降の日付がある案件）', 'Leads that reached meeting (a date of that stage or of any later stage)')},
    "poc_count": {"label": ('PoC合意数', 'PoC agreed'), "definition": ('PoC合意に到達した案件数（その段階かそれ以降の日付がある案件）', 'Leads that reached poc (a date of that stage or of any later stage)')},
    "approval_count": {"label": ('稟議通過数', 'Approved'), "definition": ('稟議通過に到達した案件数（その段階かそれ以降の日付がある案件）', 'Leads that reached approval (a date of that stage or of any later stage)')},
    "collected_count": {"label": ('回収数', 'Collected'), "definition": ('回収に到達した案件数（その段階かそれ以降の日付がある案件）', 'Leads that reached collected (a date of that stage or of any later stage)')},
    "contact_rate": {"label": ('接触率', 'Contact rate'), "definition": ('接触到達数 ÷ リード到達数', 'reached(contact) / reached(lead)')},
    "meeting_rate": {"label": ('商談化率', 'Meeting rate'), "definition": ('商談到達数 ÷ 接触到達数', 'reached(meeting) / reached(contact)')},
    "poc_rate": {"label": ('PoC合意率', 'PoC rate'), "definition": ('PoC合意到達数 ÷ 商談到達数', 'reached(poc) / reached(meeting)')},
    "approval_rate": {"label": ('稟議通過率', 'Approval rate'), "definition": ('稟議通過到達数 ÷ PoC合意到達数', 'reached(approval) / reached(poc)')},
    "collection_rate": {"label": ('回収率', 'Collection rate'), "definition": ('回収到達数 ÷ 稟議通過到達数', 'reached(collected) / reached(approval)')},
    "overall_rate": {"label": ('全体転換率', 'Overall conversion'), "definition": ('回収到達数 ÷ リード数', 'reached(collected) / reached(lead)')},
    "stalled_count": {"label": ('停滞案件数', 'Stalled deals'), "definition": ('進行中で、最新段階の日付から段階ごとの上限日数を超えた案件', "Open leads whose latest stage date is older than the stage's limit")},
    "payback_months_median": {"label": ('回収期間', 'Payback period'), "definition": ('回収期間（月）の中央値', 'Median payback months')},
    "new_leads_week": {"label": ('新規リード数（週）', 'New leads this week'), "definition": ('基準日までの7日間に作成されたリード数', 'Leads created in the 7 days up to the as-of date')},
    "work_style_kpi_rate": {"label": ('働き方KPI記入率', 'Work-style KPI noted'), "definition": ('商談に到達した案件のうち、働き方KPI（先方が改善したい働き方の指標）が記入された割合', "Leads that reached meeting with the customer's work-style KPI noted")},
    "sent_back_rate": {"label": ('差し戻し率', 'Send-back rate'), "definition": ('PoC合意に到達し（稟議に進んだ）差し戻し回数が記入された案件のうち、1回以上差し戻された割合', 'Leads that reached PoC (their 稟議 under way) with a send-back count: share sent back at least once')},
    "minutes_within_24h_rate": {"label": ('24時間以内議事録送付率', 'Minutes sent within 24 h'), "definition": ('訪問・オンライン・デモのうち、24時間以内に議事録を送った割合', 'Visits/online/demos with minutes sent within 24 h')},
    "key_person_rate": {"label": ('キーマン特定率', 'Key person identified'), "definition": ('商談に到達した案件のうち、キーマンが記入された割合', 'Leads that reached meeting with a key person noted')},
    "review_capture_rate": {"label": ('審査日記入率', 'Review dates captured'), "definition": ('商談に到達した病院案件のうち、審査日（倫理・情報・購買・役員会）が1つ以上ある割合', 'Hospital leads that reached meeting with at least one review-committee date')},
    "visits_per_day": {"label": ('1日あたり訪問件数', 'Visits per day'), "definition": ('担当者ごとの 訪問数 ÷ 訪問日数 の平均', 'Mean over reps of visits / visit days')},
    "travel_minutes_per_day": {"label": ('1日あたり移動時間', 'Travel minutes per day'), "definition": ('担当者ごとの 移動時間 ÷ 訪問日数 の平均', 'Mean over reps of travel minutes / visit days')},
    "sla_compliance_rate": {"label": ('初回対応SLA遵守率', 'First-response SLA met'), "definition": ('代行会社・支援会社の案件のうち、SLA時間内（代行24時間・支援会社48時間）に初回対応した割合（未対応でSLA超過は未達）', 'Agency/partner leads first answered within their SLA (24 h agency, 48 h partner); unanswered past the SLA = missed')},
    "agency_sla_compliance_rate": {"label": ('代行会社SLA遵守率', 'Agency SLA met'), "definition": ('代行会社の案件のうち、24時間以内に初回対応した割合', 'Agency leads first answered within 24 h')},
    "partner_sla_compliance_rate": {"label": ('支援会社SLA遵守率', 'Partner SLA met'), "definition": ('支援会社の案件のうち、48時間以内に初回対応した割合', 'Support-company leads first answered within 48 h')},
    "reply_rate": {"label": ('返信率', 'Reply rate'), "definition": ('メール・電話のうち、返信日時がある割合', 'Emails and calls with a reply time')},
    "clinic_visits": {"label": ('来院数', 'Visits'), "definition": ('締まった最新月の来院数', 'Attended visits in the latest full month')},
    "clinic_patients": {"label": ('患者数', 'Patients'), "definition": ('締まった最新月に来院した患者の数', 'Distinct patients in the latest full month')},
    "clinic_new_patients": {"label": ('新患数', 'New patients'), "definition": ('締まった最新月に初めて来院した患者', 'Patients whose first visit is in the latest full month')},
    "visit_frequency": {"label": ('来院頻度', 'Visit frequency'), "definition": ('来院数 ÷ 患者数', 'visits / patients')},
    "second_visit_rate": {"label": ('2回目リピート率', 'Second-visit rate'), "definition": ('新患のうち14日以内に2回目の来院があった割合', 'New patients with another visit within 14 days')},
    "cancel_rate": {"label": ('キャンセル率', 'Cancellation rate'), "definition": ('(キャンセル＋無断キャンセル) ÷ 予約', '(cancelled + no-show) / (attended + cancelled + no-show)')},
    "price_per_10min": {"label": ('10分単価', 'Price per 10 minutes'), "definition": ('10 × 会計金額 ÷ 施術時間', '10 × amount / treatment minutes')},
    "clinic_revenue": {"label": ('売上', 'Revenue'), "definition": ('締まった最新月の会計金額の合計', 'Sum of amounts in the latest full month')},
    "clinic_avg_price": {"label": ('平均単価', 'Average price per visit'), "definition": ('売上 ÷ 来院数（金額のない来院も分母に含む）', 'revenue / visits (visits without an amount included)')},
    "self_pay_ratio": {"label": ('自費率', 'Self-pay ratio'), "definition": ('自費金額の合計 ÷ 売上（締まった最新月）', 'Σ self-pay amount / revenue in the latest full month')},
    "returning_share": {"label": ('再新患率', 'Returning-patient share'), "definition": ('再新患（新患でも前月からの継続でもない患者）÷ 患者数。目安は約5%', 'Returning patients (neither new nor carried over from last month) / patients; guide about 5%')},
    "price_per_10min_excl_machine": {"label": ('10分単価（機器のみ除く）', 'Price per 10 min (machine-only excluded)'), "definition": ('10 × 会計金額 ÷ 施術時間。機器のみの施術（EMS・メドマー等: 機器のみ列またはメニュー名）を除く', '10 × amount / treatment minutes, machine-only treatments (EMS, medomer…: a machine-only column or menu name) left out')},
    "first_visit_dropout_rate": {"label": ('初診後離脱率', 'Drop-out after first visit'), "definition": ('初診月の新患のうち、初診から2か月以内に2回目の来院がなかった割合（2か月が経過した最新の初診月）', 'New patients with no other visit within 2 months of the first (latest first-visit month whose 2 months have passed)')},
    "new_patient_retention_rate": {"label": ('新患定着率', 'New-patient retention'), "definition": ('初診から2か月以内に5回以上来院した新患の割合（2か月が経過した最新の初診月）', 'New patients with 5 or more visits within 2 months of the first (latest first-visit month whose 2 months have passed)')},
    "graduation_rate": {"label": ('卒業率', 'Graduation rate'), "definition": ('第12回を終えた受講者 ÷ 第1回を終えた受講者', 'users with session 12 done / users with session 1 done')},
    "attendance_rate": {"label": ('出席率', 'Attendance rate'), "definition": ('実施 ÷ (実施＋欠席)', 'done / (done + missed)')},
    "onboarding_dropped": {"label": ('離脱者数', 'Dropped users'), "definition": ('開始して未卒業、21日間受講のない受講者', 'Started, not graduated, no session done in 21 days')},
    "nps": {"label": ('NPS', 'NPS'), "definition": ('推奨者(9–10)の割合 − 批判者(0–6)の割合（×100）', '100 × (share 9–10 − share 0–6)')},
    "homework_rate": {"label": ('宿題実施率', 'Homework done'), "definition": ('第1〜12回の実施回のうち、宿題が済んでいる割合（空欄は未実施）', 'Done sessions 1–12 with the homework done (blank = not done)')},
    "onboarding_below_level1": {"label": ('第9回以降の要フォロー', 'Below level 1 at session 9+'), "definition": ('第9回以降を実施し、未修了・未離脱で、第9〜11回の当日記載率・指導文利用率が目標に届いていない受講者', 'Users past session 9, not graduated nor dropped, whose same-day record or guidance use rate at sessions 9–11 is below target')},
    "nps_latest_programme": {"label": ('最新プログラムのNPS', 'NPS, latest programme'), "definition": ('最後に始まった期（プログラム版）の受講者のNPS', 'NPS of the users of the programme version that started last')},
    "adoption_overall": {"label": ('CRM定着スコア', 'CRM adoption score'), "definition": ('利用・データ品質・成果の3層の平均', 'Mean of the usage, data and outcome layers')},
    "adoption_usage": {"label": ('利用', 'Usage'), "definition": ('直近28日の利用（活動・更新・次回予定）', 'Usage over the last 28 days')},
    "adoption_data": {"label": ('データ品質', 'Data quality'), "definition": ('必須項目・重複・失注理由・鮮度', 'Required fields, duplicates, lost reasons, freshness')},
    "adoption_outcomes": {"label": ('成果', 'Outcomes'), "definition": ('初回対応・商談化・受注・停滞', 'First response, meeting rate, win rate, stalled share')},
    "referrals_in": {"label": ('紹介数（受）', 'Referrals in'), "definition": ('紹介を受けた件数', 'Referrals received')},
    "referrals_out": {"label": ('逆紹介数', 'Referrals out'), "definition": ('逆紹介した件数', 'Referrals sent back')},
    "reverse_ratio": {"label": ('逆紹介比', 'Reverse ratio'), "definition": ('逆紹介 ÷ 紹介', 'out / in')},
    "referral_rate": {"label": ('紹介率', 'Referral rate'), "definition": ('医療法（地域医療支援病院）: 紹介患者数 ÷（初診患者数 − 救急患者数）。初診患者数は病院自身の数を入力（未入力は n/a）', "Medical Care Act: referrals in / (first visits − emergency patients); the hospital's own first-visit counts (n/a until entered)")},
    "reverse_referral_rate": {"label": ('逆紹介率', 'Reverse referral rate'), "definition": ('医療法（地域医療支援病院）: 逆紹介患者数 ÷（初診患者数 − 救急患者数）。初診患者数は病院自身の数を入力（未入力は n/a）', "Medical Care Act: referrals out / (first visits − emergency patients); the hospital's own counts (n/a until entered)")},
    "visit_referral_change": {"label": ('訪問後の紹介増減', 'Referrals after a visit'), "definition": ('訪問後90日の紹介数 − 訪問前90日の紹介数（両方の期間がデータ内にある訪問の平均）', 'Referrals in the 90 days after a visit − the 90 days before (mean over visits with both windows in the data)')},
    "institutions_never_referring": {"label": ('紹介実績のない医療機関数', 'Institutions never referring'), "definition": ('医療機関コード一覧（任意）のうち、紹介地域内でまだ紹介のない医療機関の数', "Institutions of the code master in the ledger's areas with no referral in yet")},
}


# The weekly review's default playbook (kpi.playbook; the team edits, downloads and uploads its own):
# (registry KPI key, remedy ja, remedy en) — the team's known remedies (issue 15 item 1)
DEFAULT_PLAYBOOK: tuple[tuple[str, str, str], ...] = (
    ("new_leads_week", "学会・展示会の計画を前倒しする", "Bring conference and exhibition plans forward"),
    ("new_leads_week", "ホワイトペーパーを3本（医療／ヘルスケア／一般企業）用意する",
     "Publish three white papers (medical / healthcare / general B2B)"),
    ("new_leads_week", "代行会社のリストを毎週確認する", "Check the agency's list every week"),
    ("lead_count", "学会・展示会の計画を前倒しする", "Bring conference and exhibition plans forward"),
    ("lead_count", "ホワイトペーパーを3本（医療／ヘルスケア／一般企業）用意する",
     "Publish three white papers (medical / healthcare / general B2B)"),
    ("lead_count", "代行会社のリストを毎週確認する", "Check the agency's list every week"),
    ("contact_rate", "件名を地域別にA/Bテストする", "A/B test subject lines by region"),
    ("contact_rate", "送信時間帯を地域別にA/Bテストする", "A/B test send times by region"),
    ("meeting_rate", "トークスクリプトを書き直す", "Rewrite the call script"),
    ("meeting_rate", "審査日・キーマン・働き方KPIを初回の必須質問にする",
     "Make review dates, key person and work-style KPI mandatory first-call questions"),
    ("meeting_rate", "FS（フィールドセールス）の同席を増やす", "More field-sales attendance at first meetings"),
    ("key_person_rate", "審査日・キーマン・働き方KPIを初回の必須質問にする",
     "Make review dates, key person and work-style KPI mandatory first-call questions"),
    ("review_capture_rate", "審査日・キーマン・働き方KPIを初回の必須質問にする",
     "Make review dates, key person and work-style KPI mandatory first-call questions"),
    ("work_style_kpi_rate", "審査日・キーマン・働き方KPIを初回の必須質問にする",
     "Make review dates, key person and work-style KPI mandatory first-call questions"),
    ("poc_rate", "評価指標を3〜5個に絞って書面にする", "Write down 3–5 evaluation metrics"),
    ("poc_rate", "PoCの終了条件を書面で合意する", "Agree the PoC's exit conditions in writing"),
    ("poc_rate", "PoC費用の負担割合を書面で合意する", "Agree the PoC's cost split in writing"),
    ("approval_rate", "データの流れ・責任分界・回収期間・代替案を1枚にまとめる",
     "One sheet: data flow, division of responsibility, payback and alternatives"),
    ("sent_back_rate", "データの流れ・責任分界・回収期間・代替案を1枚にまとめる",
     "One sheet: data flow, division of responsibility, payback and alternatives"),
    ("payback_months_median", "段階導入を提案する", "Propose a staged rollout"),
    ("payback_months_median", "成果報酬型の価格を提案する", "Propose outcome-based pricing"),
)
