//! Date and time functions: utcNow, addDays, addToTime, formatDateTime, startOfDay, ticks, ...
//!
//! Results are timestamp strings in the .NET `o` format (`2018-03-25T00:00:00.0000000Z`) unless
//! a format argument says otherwise, as the reference guide shows them.

use chrono::{Datelike, Duration, Months, NaiveDateTime, Timelike};
use serde_json::Value;

use super::format::{Stamp, format, parse};
use super::{Args, Builtin};
use crate::expr::value::Num;

pub(crate) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "utcNow",
        min: 0,
        max: 1,
        f: utc_now,
    },
    Builtin {
        name: "addDays",
        min: 2,
        max: 3,
        f: add_days,
    },
    Builtin {
        name: "addHours",
        min: 2,
        max: 3,
        f: add_hours,
    },
    Builtin {
        name: "addMinutes",
        min: 2,
        max: 3,
        f: add_minutes,
    },
    Builtin {
        name: "addSeconds",
        min: 2,
        max: 3,
        f: add_seconds,
    },
    Builtin {
        name: "addToTime",
        min: 3,
        max: 4,
        f: add_to_time,
    },
    Builtin {
        name: "subtractFromTime",
        min: 3,
        max: 4,
        f: subtract_from_time,
    },
    Builtin {
        name: "getFutureTime",
        min: 2,
        max: 3,
        f: get_future_time,
    },
    Builtin {
        name: "getPastTime",
        min: 2,
        max: 3,
        f: get_past_time,
    },
    Builtin {
        name: "startOfDay",
        min: 1,
        max: 2,
        f: start_of_day,
    },
    Builtin {
        name: "startOfHour",
        min: 1,
        max: 2,
        f: start_of_hour,
    },
    Builtin {
        name: "startOfMonth",
        min: 1,
        max: 2,
        f: start_of_month,
    },
    Builtin {
        name: "dayOfMonth",
        min: 1,
        max: 1,
        f: day_of_month,
    },
    Builtin {
        name: "dayOfWeek",
        min: 1,
        max: 1,
        f: day_of_week,
    },
    Builtin {
        name: "dayOfYear",
        min: 1,
        max: 1,
        f: day_of_year,
    },
    Builtin {
        name: "formatDateTime",
        min: 1,
        max: 3,
        f: format_date_time,
    },
    Builtin {
        name: "parseDateTime",
        min: 1,
        max: 2,
        f: parse_date_time,
    },
    Builtin {
        name: "ticks",
        min: 1,
        max: 1,
        f: ticks,
    },
    Builtin {
        name: "dateDifference",
        min: 2,
        max: 2,
        f: date_difference,
    },
];

fn stamp(a: &Args<'_, '_>, i: usize) -> Result<Stamp, String> {
    parse(a.str(i)?)
}

fn out(st: Stamp, a: &Args<'_, '_>, fmt_arg: usize) -> Result<Value, String> {
    format(st, a.opt_str(fmt_arg)?).map(Value::String)
}

fn now(a: &Args<'_, '_>) -> Stamp {
    Stamp {
        dt: a.scope.now().naive_utc(),
        utc: true,
    }
}

fn utc_now(a: &Args<'_, '_>) -> Result<Value, String> {
    out(now(a), a, 0)
}

/// Adds `amount` of `unit` (Second .. Year); fractional amounts of fixed-length units count.
fn shift(st: Stamp, amount: Num, unit: &str) -> Result<Stamp, String> {
    let overflow = || "the result is outside the range of timestamps".to_string();
    let fixed = |unit_ms: f64| -> Result<Duration, String> {
        let ms = amount.as_f64() * unit_ms;
        if !ms.is_finite() || ms.abs() > 3.0e17 {
            return Err(overflow());
        }
        Ok(match amount {
            Num::Int(n) => {
                Duration::try_milliseconds(n.checked_mul(unit_ms as i64).ok_or_else(overflow)?)
                    .ok_or_else(overflow)?
            }
            Num::Float(_) => Duration::try_milliseconds(ms.round() as i64).ok_or_else(overflow)?,
        })
    };
    let dt = match unit.to_ascii_lowercase().trim_end_matches('s') {
        "second" => st.dt.checked_add_signed(fixed(1_000.0)?),
        "minute" => st.dt.checked_add_signed(fixed(60_000.0)?),
        "hour" => st.dt.checked_add_signed(fixed(3_600_000.0)?),
        "day" => st.dt.checked_add_signed(fixed(86_400_000.0)?),
        "week" => st.dt.checked_add_signed(fixed(7.0 * 86_400_000.0)?),
        u @ ("month" | "year") => {
            let Num::Int(n) = amount else {
                return Err(format!("a number of {u}s must be an integer"));
            };
            let months = if u == "year" {
                n.checked_mul(12).ok_or_else(overflow)?
            } else {
                n
            };
            let m = Months::new(u32::try_from(months.unsigned_abs()).map_err(|_| overflow())?);
            if months >= 0 {
                st.dt.checked_add_months(m)
            } else {
                st.dt.checked_sub_months(m)
            }
        }
        _ => {
            return Err(format!(
                "'{unit}' is not a time unit (Second, Minute, Hour, Day, Week, Month, Year)"
            ));
        }
    };
    Ok(Stamp {
        dt: dt.ok_or_else(overflow)?,
        utc: st.utc,
    })
}

fn neg(n: Num) -> Num {
    match n {
        Num::Int(i) => Num::Int(i.saturating_neg()),
        Num::Float(f) => Num::Float(-f),
    }
}

fn add_unit(a: &Args<'_, '_>, unit: &str) -> Result<Value, String> {
    out(shift(stamp(a, 0)?, a.num(1)?, unit)?, a, 2)
}

fn add_days(a: &Args<'_, '_>) -> Result<Value, String> {
    add_unit(a, "Day")
}

fn add_hours(a: &Args<'_, '_>) -> Result<Value, String> {
    add_unit(a, "Hour")
}

fn add_minutes(a: &Args<'_, '_>) -> Result<Value, String> {
    add_unit(a, "Minute")
}

fn add_seconds(a: &Args<'_, '_>) -> Result<Value, String> {
    add_unit(a, "Second")
}

fn add_to_time(a: &Args<'_, '_>) -> Result<Value, String> {
    out(shift(stamp(a, 0)?, a.num(1)?, a.str(2)?)?, a, 3)
}

fn subtract_from_time(a: &Args<'_, '_>) -> Result<Value, String> {
    out(shift(stamp(a, 0)?, neg(a.num(1)?), a.str(2)?)?, a, 3)
}

fn get_future_time(a: &Args<'_, '_>) -> Result<Value, String> {
    out(shift(now(a), a.num(0)?, a.str(1)?)?, a, 2)
}

fn get_past_time(a: &Args<'_, '_>) -> Result<Value, String> {
    out(shift(now(a), neg(a.num(0)?), a.str(1)?)?, a, 2)
}

fn truncate(
    a: &Args<'_, '_>,
    f: fn(NaiveDateTime) -> Option<NaiveDateTime>,
) -> Result<Value, String> {
    let st = stamp(a, 0)?;
    let dt = f(st.dt).ok_or("the timestamp cannot be truncated")?;
    out(Stamp { dt, utc: st.utc }, a, 1)
}

fn start_of_day(a: &Args<'_, '_>) -> Result<Value, String> {
    truncate(a, |d| d.date().and_hms_opt(0, 0, 0))
}

fn start_of_hour(a: &Args<'_, '_>) -> Result<Value, String> {
    truncate(a, |d| d.date().and_hms_opt(d.hour(), 0, 0))
}

fn start_of_month(a: &Args<'_, '_>) -> Result<Value, String> {
    truncate(a, |d| {
        d.date().with_day(1).and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

fn day_of_month(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::from(stamp(a, 0)?.dt.day()))
}

/// Sunday is 0, as in .NET's `DayOfWeek`.
fn day_of_week(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::from(
        stamp(a, 0)?.dt.weekday().num_days_from_sunday(),
    ))
}

fn day_of_year(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::from(stamp(a, 0)?.dt.ordinal()))
}

/// The only culture is en-US (and the invariant culture, which formats the same here).
fn check_locale(a: &Args<'_, '_>, i: usize) -> Result<(), String> {
    match a.opt_str(i)? {
        None => Ok(()),
        Some(l) if l.eq_ignore_ascii_case("en-us") || l.is_empty() => Ok(()),
        Some(l) => Err(format!("the locale '{l}' is not supported (only en-US)")),
    }
}

fn format_date_time(a: &Args<'_, '_>) -> Result<Value, String> {
    check_locale(a, 2)?;
    out(stamp(a, 0)?, a, 1)
}

fn parse_date_time(a: &Args<'_, '_>) -> Result<Value, String> {
    check_locale(a, 1)?;
    format(stamp(a, 0)?, None).map(Value::String)
}

/// 100-nanosecond intervals since 0001-01-01T00:00:00 (.NET `DateTime.Ticks`).
fn ticks(a: &Args<'_, '_>) -> Result<Value, String> {
    let dt = stamp(a, 0)?.dt.and_utc();
    let secs = dt.timestamp() as i128 + 62_135_596_800;
    let t = secs * 10_000_000 + (dt.timestamp_subsec_nanos() / 100) as i128;
    i64::try_from(t)
        .map(Value::from)
        .map_err(|_| "the timestamp is out of range".into())
}

/// The span from the first timestamp to the second as a .NET TimeSpan, `[-][d.]hh:mm:ss[.fffffff]`.
fn date_difference(a: &Args<'_, '_>) -> Result<Value, String> {
    let d = stamp(a, 1)?.dt - stamp(a, 0)?.dt;
    let sign = if d < Duration::zero() { "-" } else { "" };
    let d = d.abs();
    let total = d.num_seconds();
    let (days, h, m, s) = (
        total / 86_400,
        total % 86_400 / 3_600,
        total % 3_600 / 60,
        total % 60,
    );
    let frac = (d - Duration::seconds(total))
        .num_nanoseconds()
        .unwrap_or(0)
        / 100;
    let mut text = String::from(sign);
    if days > 0 {
        text.push_str(&format!("{days}."));
    }
    text.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if frac > 0 {
        text.push_str(&format!(".{frac:07}"));
    }
    Ok(Value::String(text))
}
