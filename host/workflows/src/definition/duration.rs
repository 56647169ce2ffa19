//! ISO 8601 durations as WDL writes them for `timeout`, `limit.timeout` and retry intervals
//! (`PT1H`, `P1D`, `PT30S`, `PT0.5S`).

use std::time::Duration;

/// Parses `P[nY][nM][nW][nD][T[nH][nM][nS]]`. Years count 365 days and months 30 (Logic Apps'
/// limits are written in days and hours in practice; a calendar is not needed for a timeout).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("'{s}' is not an ISO 8601 duration (e.g. PT1H, P1D, PT30S)");
    let rest = s
        .strip_prefix('P')
        .or_else(|| s.strip_prefix('p'))
        .ok_or_else(bad)?;
    if rest.is_empty() || rest == "T" {
        return Err(bad());
    }
    let mut secs = 0f64;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            'T' if !in_time && number.is_empty() => in_time = true,
            d if d.is_ascii_digit() || d == '.' || d == ',' => {
                number.push(if d == ',' { '.' } else { d })
            }
            unit => {
                let n: f64 = number.parse().map_err(|_| bad())?;
                number.clear();
                let scale = match (in_time, unit) {
                    (false, 'Y') => 365.0 * 86_400.0,
                    (false, 'M') => 30.0 * 86_400.0,
                    (false, 'W') => 7.0 * 86_400.0,
                    (false, 'D') => 86_400.0,
                    (true, 'H') => 3_600.0,
                    (true, 'M') => 60.0,
                    (true, 'S') => 1.0,
                    _ => return Err(bad()),
                };
                secs += n * scale;
                any = true;
            }
        }
    }
    if !number.is_empty() || !any || !secs.is_finite() || secs > 1.0e10 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H").unwrap(), Duration::from_secs(3600));
        assert_eq!(
            parse_duration("P1DT2M").unwrap(),
            Duration::from_secs(86_400 + 120)
        );
        assert_eq!(
            parse_duration("PT0.5S").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_duration("P2W").unwrap(),
            Duration::from_secs(14 * 86_400)
        );
        for bad in ["", "P", "PT", "1H", "PT1", "PTH", "P1H", "PT1D", "P1.2.3D"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
