"""Pure computation for the weekly healthcare-sales analytics app (no Streamlit here).

Data flows one way: bytes -> ``kpi.load`` -> validated frames -> ``kpi.<domain>`` -> result
objects -> pages / CLI JSON / workbook.

The validated-frame contract (what every KPI function may rely on)
------------------------------------------------------------------
``kpi.load`` turns a file into one ``pandas.DataFrame`` per dataset kind (leads, activities,
visits, onboarding, referrals). Its columns are the SPEC field names (English snake_case):

* Only fields present in the source file (after column mapping and ``constants``) appear, so
  ``"key_person" in df.columns`` tells whether a KPI can be computed. Always present:
  leads ``lead_id, created_at, status, region, segment``; activities ``activity_at, rep, type,
  region``; visits ``patient_id, visit_on``; onboarding ``customer, user, session_no,
  status``; referrals ``referred_on, institution, direction``. (A visits file without a status column
  holds attended visits only: ``kpi.clinic.is_attended`` says so, and the cancel rate is then n/a.)
* text -> pandas ``str`` dtype, NFKC-normalised and stripped, missing = NA (test with
  ``isna()``). IDs are text, never numbers.
* date -> ``datetime64[ns]`` at midnight, missing = NaT.
* date(time) fields (leads.created_at, leads.first_response_at, activities.activity_at,
  activities.minutes_sent_at, visits.visit_on) -> ``datetime64[ns]`` plus a bool column
  ``<field>_has_time`` that is True where the source value carried a time of day.
* int / number / yen -> ``float64`` (NaN = missing); onboarding.session_no -> ``int64``.
* rate -> ``float64`` fraction 0..1.  bool -> ``bool`` (empty = False).
* enum -> ``str`` holding the English code (``osaka``, ``hospital``, ``no_show`` ...).
* ``_row`` -> ``int64``: the row number the user sees in Excel (header and title rows counted).
"""
