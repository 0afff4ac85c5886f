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
