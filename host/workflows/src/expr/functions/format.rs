//! Timestamps as the date-time functions read and write them, and .NET date-time format
//! strings (standard specifiers such as `o` and `D`, and custom patterns such as `yyyy-MM-dd`),
//! in the invariant/en-US forms that the reference guide's examples show.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};

/// A timestamp, and whether it is known to be UTC (written with `Z` or an offset, which is
/// converted) or has no zone (`2018-03-15 12:00:00`), which `K` and `o` print without `Z`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stamp {
    pub dt: NaiveDateTime,
    pub utc: bool,
}

/// Naive forms accepted besides RFC 3339 (tried in order).
const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S%.f",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
];

const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%m/%d/%Y"];

/// Reads an ISO 8601 / RFC 3339 timestamp, or the US `MM/dd/yyyy HH:mm:ss` form the reference
/// guide uses; an offset is converted to UTC.
pub(crate) fn parse(s: &str) -> Result<Stamp, String> {
    let t = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(Stamp {
            dt: dt.naive_utc(),
            utc: true,
        });
    }
    if let Some(body) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z'))
        && let Some(dt) = NAIVE_FORMATS
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(body, f).ok())
    {
        return Ok(Stamp { dt, utc: true });
    }
    if let Some(dt) = NAIVE_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
    {
        return Ok(Stamp { dt, utc: false });
    }
    if let Some(d) = DATE_FORMATS
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
    {
        return Ok(Stamp {
            dt: d.and_hms_opt(0, 0, 0).expect("midnight exists"),
            utc: false,
        });
    }
    Err(format!(
        "'{s}' is not a timestamp (use ISO 8601, e.g. 2018-03-15T13:00:00Z)"
    ))
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The custom pattern a standard (one-letter) format stands for, in en-US.
fn standard(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "M/d/yyyy",
        'D' => "dddd, MMMM d, yyyy",
        'f' => "dddd, MMMM d, yyyy h:mm tt",
        'F' | 'U' => "dddd, MMMM d, yyyy h:mm:ss tt",
        'g' => "M/d/yyyy h:mm tt",
        'G' => "M/d/yyyy h:mm:ss tt",
        'M' | 'm' => "MMMM d",
        'o' | 'O' => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
        'R' | 'r' => "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
        's' => "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
        't' => "h:mm tt",
        'T' => "h:mm:ss tt",
        'u' => "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
        'Y' | 'y' => "MMMM yyyy",
        _ => return None,
    })
}

/// Formats a timestamp with a .NET format string (`None` is `o`).
pub(crate) fn format(st: Stamp, fmt: Option<&str>) -> Result<String, String> {
    let fmt = fmt.unwrap_or("o");
    let mut chars = fmt.chars();
    let pattern = match (chars.next(), chars.next()) {
        (Some(c), None) => {
            standard(c).ok_or_else(|| format!("'{fmt}' is not a standard date and time format"))?
        }
        (None, _) => standard('o').expect("o exists"),
        _ => fmt,
    };
    custom(st, pattern)
}

fn custom(st: Stamp, pattern: &str) -> Result<String, String> {
    let dt = st.dt;
    let p: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < p.len() {
        let c = p[i];
        let mut n = 1;
        while i + n < p.len() && p[i + n] == c {
            n += 1;
        }
        match c {
            '\'' | '"' => {
                let close = p[i + 1..]
                    .iter()
                    .position(|&q| q == c)
                    .ok_or_else(|| format!("unclosed quote in '{pattern}'"))?;
                out.extend(&p[i + 1..i + 1 + close]);
                i += close + 2;
                continue;
            }
            '\\' => {
                let lit = p
                    .get(i + 1)
                    .ok_or_else(|| format!("'{pattern}' ends with a lone backslash"))?;
                out.push(*lit);
                i += 2;
                continue;
            }
            '%' => {
                // `%d` is the custom `d`, not the standard `d`.
                i += 1;
                continue;
            }
            'd' => match n {
                1 => out.push_str(&dt.day().to_string()),
                2 => out.push_str(&format!("{:02}", dt.day())),
                3 => out.push_str(&DAYS[dt.weekday().num_days_from_sunday() as usize][..3]),
                _ => out.push_str(DAYS[dt.weekday().num_days_from_sunday() as usize]),
            },
            'M' => match n {
                1 => out.push_str(&dt.month().to_string()),
                2 => out.push_str(&format!("{:02}", dt.month())),
                3 => out.push_str(&MONTHS[dt.month0() as usize][..3]),
                _ => out.push_str(MONTHS[dt.month0() as usize]),
            },
            'y' => {
                let y = dt.year();
                match n {
                    1 => out.push_str(&(y % 100).to_string()),
                    2 => out.push_str(&format!("{:02}", y % 100)),
                    _ => out.push_str(&format!("{y:0n$}")),
                }
            }
            'H' => out.push_str(&pad(dt.hour(), n)),
            'h' => out.push_str(&pad(
                match dt.hour() % 12 {
                    0 => 12,
                    h => h,
                },
                n,
            )),
            'm' => out.push_str(&pad(dt.minute(), n)),
            's' => out.push_str(&pad(dt.second(), n)),
            'f' | 'F' => {
                if n > 7 {
                    return Err(format!("too many '{c}' in '{pattern}' (at most 7)"));
                }
                let digits = format!("{:07}", dt.nanosecond().min(999_999_999) / 100);
                let mut d = digits[..n].to_string();
                if c == 'F' {
                    d = d.trim_end_matches('0').to_string();
                    if d.is_empty() && out.ends_with('.') {
                        out.pop();
                    }
                }
                out.push_str(&d);
            }
            't' => {
                let am = dt.hour() < 12;
                out.push_str(match (n, am) {
                    (1, true) => "A",
                    (1, false) => "P",
                    (_, true) => "AM",
                    (_, false) => "PM",
                });
            }
            'K' => {
                if st.utc {
                    out.push('Z');
                }
            }
            'z' => out.push_str(match n {
                1 => "+0",
                2 => "+00",
                _ => "+00:00",
            }),
            'g' => out.push_str("A.D."),
            other => {
                for _ in 0..n {
                    out.push(other);
                }
            }
        }
        i += n;
    }
    Ok(out)
}

fn pad(v: u32, n: usize) -> String {
    if n >= 2 {
        format!("{v:02}")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_o() {
        let st = parse("2018-03-15T13:27:36.5Z").unwrap();
        assert_eq!(format(st, None).unwrap(), "2018-03-15T13:27:36.5000000Z");
        let st = parse("2018-03-15T15:27:36+02:00").unwrap();
        assert_eq!(format(st, None).unwrap(), "2018-03-15T13:27:36.0000000Z");
        let st = parse("03/15/2018 12:00:00").unwrap();
        assert_eq!(format(st, None).unwrap(), "2018-03-15T12:00:00.0000000");
    }

    #[test]
    fn custom_patterns() {
        let st = parse("2018-03-05T07:08:09.1200000Z").unwrap();
        assert_eq!(
            format(st, Some("yyyy-MM-dd HH:mm:ss.FFF")).unwrap(),
            "2018-03-05 07:08:09.12"
        );
        assert_eq!(
            format(st, Some("ddd, MMM d yy h:m tt")).unwrap(),
            "Mon, Mar 5 18 7:8 AM"
        );
        assert_eq!(format(st, Some("'Day' d")).unwrap(), "Day 5");
        assert_eq!(
            format(st, Some("r")).unwrap(),
            "Mon, 05 Mar 2018 07:08:09 GMT"
        );
        assert!(format(st, Some("Q")).is_err());
    }
}
