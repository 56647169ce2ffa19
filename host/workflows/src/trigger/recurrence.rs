//! A trigger's `recurrence` (`{"frequency": "Day", "interval": 1, "startTime": ..., "schedule":
//! {"hours": [9], "minutes": [30], "weekDays": ["Monday"]}}`), and when it fires next. Times
//! are UTC: a `timeZone` other than UTC is refused, not silently shifted.

use chrono::{
    DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, Timelike, Utc, Weekday,
};
use serde_json::Value;

/// The unit of a recurrence's interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Every `interval` seconds.
    Second,
    /// Every `interval` minutes.
    Minute,
    /// Every `interval` hours.
    Hour,
    /// Every `interval` days (a `schedule` picks the hours and minutes).
    Day,
    /// Every `interval` weeks (a `schedule` picks the days, hours and minutes).
    Week,
    /// Every `interval` calendar months.
    Month,
}

/// A parsed `recurrence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// `frequency`.
    pub frequency: Frequency,
    /// `interval` (at least 1).
    pub interval: u32,
    /// `startTime`: the anchor the intervals count from, and the earliest firing.
    pub start: Option<DateTime<Utc>>,
    /// `schedule.hours` (Day and Week only).
    pub hours: Vec<u32>,
    /// `schedule.minutes` (Day and Week only).
    pub minutes: Vec<u32>,
    /// `schedule.weekDays` (Week only).
    pub week_days: Vec<Weekday>,
}

/// The longest period accepted (Logic Apps' own limits stay below it: 500 days, 71 weeks, 16
/// months), so that date arithmetic cannot overflow.
const MAX_PERIOD_DAYS: i64 = 600;

impl Recurrence {
    /// Parses a `recurrence` object; the error says which property is wrong and why.
    pub fn parse(v: &Value) -> Result<Recurrence, String> {
        let obj = v
            .as_object()
            .ok_or_else(|| format!("`recurrence` must be an object, got {v}"))?;
        let freq = obj.get("frequency").and_then(Value::as_str).ok_or(
            "`recurrence.frequency` is missing (Second, Minute, Hour, Day, Week or Month)",
        )?;
        let frequency = match freq.to_ascii_lowercase().as_str() {
            "second" => Frequency::Second,
            "minute" => Frequency::Minute,
            "hour" => Frequency::Hour,
            "day" => Frequency::Day,
            "week" => Frequency::Week,
            "month" => Frequency::Month,
            _ => {
                return Err(format!(
                    "`recurrence.frequency` `{freq}` is not one of Second, Minute, Hour, Day, Week, Month"
                ));
            }
        };
        let interval = match obj.get("interval") {
            None => 1,
            Some(i) => i
                .as_u64()
                .filter(|n| *n >= 1 && *n <= u32::MAX as u64)
                .ok_or_else(|| {
                    format!("`recurrence.interval` must be a positive integer, got {i}")
                })? as u32,
        };
        match obj.get("timeZone").and_then(Value::as_str) {
            None => {}
            Some(z)
                if ["UTC", "Coordinated Universal Time", "Etc/UTC"]
                    .iter()
                    .any(|u| u.eq_ignore_ascii_case(z)) => {}
            Some(z) => {
                return Err(format!(
                    "`recurrence.timeZone` `{z}` is not supported: this host runs schedules in UTC only (omit timeZone or write \"UTC\")"
                ));
            }
        }
        let start = match obj.get("startTime") {
            None => None,
            Some(s) => Some(parse_time(s)?),
        };
        let mut r = Recurrence {
            frequency,
            interval,
            start,
            hours: Vec::new(),
            minutes: Vec::new(),
            week_days: Vec::new(),
        };
        if r.period_secs() > MAX_PERIOD_DAYS * 86_400 {
            return Err(format!(
                "`recurrence.interval` {interval} is too long (at most {MAX_PERIOD_DAYS} days)"
            ));
        }
        if let Some(s) = obj.get("schedule") {
            r.parse_schedule(s)?;
        }
        Ok(r)
    }

    fn parse_schedule(&mut self, s: &Value) -> Result<(), String> {
        if !matches!(self.frequency, Frequency::Day | Frequency::Week) {
            return Err(
                "`recurrence.schedule` applies only to the Day and Week frequencies".into(),
            );
        }
        let list = |key: &str, max: u64| -> Result<Vec<u32>, String> {
            match s.get(key) {
                None => Ok(Vec::new()),
                Some(Value::Array(a)) if !a.is_empty() => a
                    .iter()
                    .map(|n| {
                        n.as_u64().filter(|n| *n <= max).map(|n| n as u32).ok_or_else(|| {
                            format!("`recurrence.schedule.{key}`: {n} is not an integer from 0 to {max}")
                        })
                    })
                    .collect(),
                Some(other) => Err(format!(
                    "`recurrence.schedule.{key}` must be a non-empty array, got {other}"
                )),
            }
        };
        self.hours = list("hours", 23)?;
        self.minutes = list("minutes", 59)?;
        if let Some(days) = s.get("weekDays") {
            if self.frequency != Frequency::Week {
                return Err(
                    "`recurrence.schedule.weekDays` applies only to the Week frequency".into(),
                );
            }
            let days = days.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
                format!("`recurrence.schedule.weekDays` must be a non-empty array, got {days}")
            })?;
            for d in days {
                let name = d.as_str().unwrap_or_default();
                let day = name.parse::<Weekday>().map_err(|_| {
                    format!("`recurrence.schedule.weekDays`: {d} is not a day (Monday ... Sunday)")
                })?;
                self.week_days.push(day);
            }
        }
        Ok(())
    }

    /// The period in seconds for the fixed-length frequencies (a month counts 31 days here,
    /// only for the length check).
    fn period_secs(&self) -> i64 {
        let unit = match self.frequency {
            Frequency::Second => 1,
            Frequency::Minute => 60,
            Frequency::Hour => 3_600,
            Frequency::Day => 86_400,
            Frequency::Week => 7 * 86_400,
            Frequency::Month => 31 * 86_400,
        };
        unit * self.interval as i64
    }

    fn has_schedule(&self) -> bool {
        !(self.hours.is_empty() && self.minutes.is_empty() && self.week_days.is_empty())
    }

    /// The first firing strictly after `t` (and not before `startTime`). Without `startTime`
    /// and without a schedule it is `t` plus one interval.
    pub fn next_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        if self.has_schedule() {
            return self.next_scheduled(t);
        }
        let Some(start) = self.start else {
            return self.add_periods(t, 1);
        };
        if t < start {
            return start;
        }
        if self.frequency == Frequency::Month {
            // Months differ in length: count from the start; at most one step is corrected.
            let months =
                (t.year() - start.year()) as i64 * 12 + t.month() as i64 - start.month() as i64;
            let mut k = (months / self.interval as i64).max(0);
            for _ in 0..3 {
                let c = self.add_periods(start, k);
                if c > t {
                    return c;
                }
                k += 1;
            }
            return self.add_periods(start, k);
        }
        let p = self.period_secs();
        let k = (t - start).num_seconds() / p + 1;
        let c = start + Duration::seconds(k * p);
        if c > t { c } else { c + Duration::seconds(p) }
    }

    fn add_periods(&self, t: DateTime<Utc>, k: i64) -> DateTime<Utc> {
        if self.frequency == Frequency::Month {
            let months = (k * self.interval as i64).clamp(0, u32::MAX as i64) as u32;
            return t
                .checked_add_months(Months::new(months))
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
        }
        t.checked_add_signed(Duration::seconds(k * self.period_secs()))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Day and Week with a schedule: walk the days from `t`'s, keep those the interval and
    /// `weekDays` allow, and take the first of their times after `t`.
    fn next_scheduled(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let anchor = self.start.map_or(
            NaiveDate::from_ymd_opt(1970, 1, 5).expect("a Monday"),
            |s| s.date_naive(),
        );
        let or_start = |list: &[u32], f: fn(&DateTime<Utc>) -> u32| -> Vec<u32> {
            let mut v = if list.is_empty() {
                vec![self.start.as_ref().map_or(0, f)]
            } else {
                list.to_vec()
            };
            v.sort_unstable();
            v.dedup();
            v
        };
        let hours = or_start(&self.hours, |s| s.hour());
        let minutes = or_start(&self.minutes, |s| s.minute());
        let second = self.start.map_or(0, |s| s.second());
        let week_days = if self.week_days.is_empty() {
            vec![self.start.map_or(Weekday::Mon, |s| s.weekday())]
        } else {
            self.week_days.clone()
        };
        let monday = |d: NaiveDate| d - Duration::days(d.weekday().num_days_from_monday() as i64);
        let from = t.date_naive().max(anchor);
        // A matching day comes within one full cycle of the interval.
        let horizon = 7 * self.interval as i64 + 8;
        for offset in 0..horizon {
            let day = from + Duration::days(offset);
            let eligible = match self.frequency {
                Frequency::Week => {
                    week_days.contains(&day.weekday())
                        && ((monday(day) - monday(anchor)).num_days() / 7) % self.interval as i64
                            == 0
                }
                _ => (day - anchor).num_days() % self.interval as i64 == 0,
            };
            if !eligible {
                continue;
            }
            for h in &hours {
                for m in &minutes {
                    let Some(c) = day.and_hms_opt(*h, *m, second) else {
                        continue;
                    };
                    let c = c.and_utc();
                    if c > t && self.start.is_none_or(|s| c >= s) {
                        return c;
                    }
                }
            }
        }
        // Unreachable for a parsed recurrence; a day later is a safe answer.
        t + Duration::days(1)
    }
}

/// `startTime`: RFC 3339, or a local time without offset (read as UTC, since the zone is UTC).
fn parse_time(v: &Value) -> Result<DateTime<Utc>, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("`recurrence.startTime` must be a string, got {v}"))?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .map(|n| n.and_utc())
        .map_err(|_| {
            format!("`recurrence.startTime` '{s}' is not a date-time (e.g. 2026-01-01T09:00:00Z)")
        })
}
