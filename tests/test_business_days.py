"""kpi.business_days: Japanese business days (weekends, 祝日 from jpholiday, 年末年始 Dec 29 – Jan 3), vectorised."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpi.business_days import business_days_between, business_hours_between, holidays, is_business_day


def ts(*values) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)))


@pytest.mark.parametrize("start, end, expected", [
    ("2026-11-20", "2026-11-20", 0),   # same day: nothing passed
    ("2026-11-19", "2026-11-20", 1),   # Thu -> Fri
    ("2026-11-20", "2026-11-23", 0),   # Fri -> Mon 勤労感謝の日 (a holiday): Sat, Sun, Mon all off
    ("2026-11-20", "2026-11-24", 1),   # ... Tue is the first business day
    ("2026-12-25", "2027-01-05", 3),   # Mon 12/28, then 12/29-1/3 off, Mon 1/4, Tue 1/5
    ("2026-11-24", "2026-11-20", -1),  # backwards: minus the business days in (end, start] (Tue 11/24 only)
    ("2026-05-01", "2026-05-07", 1),   # GW: 5/2-5/6 off (Sat, Sun, 憲法記念日, みどりの日, こどもの日 + 振替休日 5/6), Thu 5/7
])
def test_business_days_between_table(start, end, expected):
    """Hand-counted business days in (start, end]."""
    assert business_days_between(ts(start), ts(end)).tolist() == [expected]


def test_business_days_between_is_vectorised_and_broadcasts_a_scalar():
    """A Series against one as_of, NaN where the date is missing, the index kept."""
    start = pd.Series(pd.to_datetime(["2026-11-16 09:00", None, "2026-11-20 18:30"]), index=[10, 11, 12])
    out = business_days_between(start, pd.Timestamp("2026-11-24"))
    assert list(out.index) == [10, 11, 12]
    # 11/16 (Mon) -> 11/24: 17, 18, 19, 20, 24 = 5 (11/23 is a holiday); time of day is ignored
    assert out[10] == 5 and np.isnan(out[11]) and out[12] == 1


def test_is_business_day_uses_the_library_and_the_year_end():
    days = ts("2026-11-23", "2026-11-24", "2026-12-29", "2027-01-04", "2026-11-21")
    assert is_business_day(days).tolist() == [False, True, False, True, False]
    assert np.datetime64("2026-11-03") in holidays(2026, 2026)  # 文化の日 from jpholiday, not a hand-written list


def test_business_hours_stop_on_days_off():
    """Fri 17:00 -> Tue 09:00 over a Monday holiday = 7 h Friday + 9 h Tuesday; from a Saturday the clock starts Tuesday."""
    start = ts("2026-11-20 17:00", "2026-11-21 10:00", "2026-11-24 09:00")
    end = ts("2026-11-24 09:00", "2026-11-24 09:00", "2026-11-24 08:00")
    assert business_hours_between(start, end).tolist() == [16.0, 9.0, -1.0]


def test_business_days_since_day_numbers_for_the_funnel():
    """The funnel keeps stage dates as int64 day numbers (NaT = int64 min): Fri 11/20 and Mon 11/16 against Tue 11/24."""
    from kpi.business_days import business_days_since

    days = np.array([np.datetime64("2026-11-20"), np.datetime64("2026-11-16"), np.datetime64("NaT")]).astype("datetime64[D]").astype("int64")
    out = business_days_since(days, int(np.datetime64("2026-11-24").astype("int64")))
    assert out[:2].tolist() == [1.0, 5.0] and np.isnan(out[2])


def test_stall_limits_can_count_business_days():
    """Targets.business_days: a lead whose meeting was on Fri 2026-11-13 is 11 calendar days old on Tue 11-24, but
    only 6 business days (Mon 11-23 is 勤労感謝の日): with a 10-day limit it is stalled in calendar days only."""
    import pandas as pd

    from kpi.funnel import stalled_leads
    from kpi.targets import Targets

    leads = pd.DataFrame({"lead_id": ["A"], "status": ["open"], "created_at": pd.to_datetime(["2026-11-01"]),
                          "contacted_on": pd.to_datetime(["2026-11-05"]), "meeting_on": pd.to_datetime(["2026-11-13"])})
    limits = {**Targets().stall_days, "meeting": 10}
    calendar = stalled_leads(leads, "2026-11-24", Targets(stall_days=limits))
    business = stalled_leads(leads, "2026-11-24", Targets(stall_days=limits, business_days=True))
    assert calendar["days_in_stage"].tolist() == [11] and business.empty
    assert stalled_leads(leads, "2026-12-01", Targets(stall_days=limits, business_days=True))["days_in_stage"].tolist() == [11]
