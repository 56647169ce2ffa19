//! The results: rows of figures, each with the ratio that matters and its
//! target, written as `target/bench/results.json` and as the table of
//! `BENCHMARKS.md`.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

/// What a ratio must be to meet its target.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Target {
    /// At most this.
    AtMost(f64),
    /// At least this.
    AtLeast(f64),
    /// No target: the figure is reported for information.
    None,
}

impl Target {
    fn met(self, ratio: f64) -> Option<bool> {
        match self {
            Target::AtMost(t) => Some(ratio <= t),
            Target::AtLeast(t) => Some(ratio >= t),
            Target::None => None,
        }
    }

    fn text(self) -> String {
        match self {
            Target::AtMost(t) => format!("≤ {t}"),
            Target::AtLeast(t) => format!("≥ {t}"),
            Target::None => "—".into(),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The figure of issue 6 (1-9).
    pub figure: u8,
    /// What was measured.
    pub what: String,
    /// The measurements behind the ratio, for people.
    pub measured: String,
    /// What the ratio is of, e.g. `host / raw`.
    pub ratio_of: String,
    /// The ratio; `None` when it could not be measured.
    pub ratio: Option<f64>,
    pub target: Target,
    /// `met`, `MISSED`, `info` or `not measured`.
    pub verdict: String,
    /// Why a target was missed or a figure not measured.
    pub reason: String,
    /// Raw numbers, for the JSON.
    pub data: Value,
}

/// The rows of one run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub rows: Vec<Row>,
}

/// What one figure hands to [`Report::add`].
pub struct Entry<'a> {
    pub figure: u8,
    pub what: &'a str,
    pub measured: String,
    pub ratio_of: &'a str,
    pub ratio: f64,
    pub target: Target,
    /// Said when the target is missed: the reason, as far as it is known.
    pub if_missed: &'a str,
    pub data: Value,
}

impl Report {
    /// Adds a measured row; the verdict follows from the ratio and target.
    pub fn add(&mut self, e: Entry<'_>) {
        let verdict = match e.target.met(e.ratio) {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "info",
        };
        let reason = if verdict == "MISSED" {
            e.if_missed.to_string()
        } else {
            String::new()
        };
        println!(
            "[fig {}] {}: {} = {:.3} (target {}) {} {}",
            e.figure,
            e.what,
            e.ratio_of,
            e.ratio,
            e.target.text(),
            verdict,
            e.measured
        );
        self.rows.push(Row {
            figure: e.figure,
            what: e.what.into(),
            measured: e.measured,
            ratio_of: e.ratio_of.into(),
            ratio: Some(e.ratio),
            target: e.target,
            verdict: verdict.into(),
            reason,
            data: e.data,
        });
    }

    /// Adds a row for a figure that could not be measured in this run.
    pub fn not_measured(&mut self, figure: u8, what: &str, target: Target, reason: String) {
        println!("[fig {figure}] {what}: not measured: {reason}");
        self.rows.push(Row {
            figure,
            what: what.into(),
            measured: String::new(),
            ratio_of: String::new(),
            ratio: None,
            target,
            verdict: "not measured".into(),
            reason,
            data: Value::Null,
        });
    }

    /// The results table in Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("| fig | what | measured (medians) | ratio | value | target | verdict |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for r in &self.rows {
            let verdict = if r.reason.is_empty() {
                r.verdict.clone()
            } else {
                format!("**{}**: {}", r.verdict, r.reason)
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.figure,
                r.what,
                r.measured,
                r.ratio_of,
                r.ratio.map_or("—".into(), |x| format!("{x:.2}")),
                r.target.text(),
                verdict
            );
        }
        out
    }
}

/// Microseconds for a table: three significant digits.
pub fn us(x: f64) -> String {
    if x >= 10_000.0 {
        format!("{:.1} ms", x / 1000.0)
    } else if x >= 100.0 {
        format!("{x:.0} µs")
    } else if x >= 10.0 {
        format!("{x:.1} µs")
    } else {
        format!("{x:.2} µs")
    }
}
