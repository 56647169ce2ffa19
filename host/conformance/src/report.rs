//! The result of a conformance run: one line per check for a person, and
//! JUnit XML for CI systems.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

/// How one check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "SKIP",
        }
    }
}

/// One check: its name, how it went and why.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// E.g. `describe.stable` or `action hash: example 1`.
    pub name: String,
    pub outcome: Outcome,
    /// What was seen: the reason for a failure or a skip, a summary for a pass.
    pub detail: String,
    /// How long the check took.
    #[serde(skip)]
    pub elapsed: Duration,
}

/// Every check of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The component tested.
    pub component: PathBuf,
    /// The spec used, if any.
    pub spec: Option<PathBuf>,
    /// `id version` of the connector, once it is known.
    pub connector: Option<String>,
    pub checks: Vec<Check>,
}

impl Report {
    /// An empty report.
    pub fn new(component: PathBuf, spec: Option<PathBuf>) -> Self {
        Self {
            component,
            spec,
            connector: None,
            checks: Vec::new(),
        }
    }

    /// Adds a check.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        outcome: Outcome,
        detail: impl Into<String>,
        elapsed: Duration,
    ) {
        self.checks.push(Check {
            name: name.into(),
            outcome,
            detail: detail.into(),
            elapsed,
        });
    }

    fn count(&self, outcome: Outcome) -> usize {
        self.checks.iter().filter(|c| c.outcome == outcome).count()
    }

    /// Checks that passed.
    pub fn passed(&self) -> usize {
        self.count(Outcome::Pass)
    }

    /// Checks that failed.
    pub fn failed(&self) -> usize {
        self.count(Outcome::Fail)
    }

    /// Checks that were skipped.
    pub fn skipped(&self) -> usize {
        self.count(Outcome::Skip)
    }

    /// Whether the connector passed: no check failed (and at least one ran).
    pub fn is_pass(&self) -> bool {
        self.failed() == 0 && self.passed() > 0
    }

    /// The check with this name.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// The report for a person: a header, one line per check, a summary.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "connector-host test {}", self.component.display());
        if let Some(connector) = &self.connector {
            let _ = writeln!(out, "  connector: {connector}");
        }
        let _ = writeln!(
            out,
            "  spec: {}",
            self.spec.as_ref().map_or(
                "none (only the checks that need no examples can pass)".into(),
                |p| { p.display().to_string() }
            )
        );
        out.push('\n');
        let width = self
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(48);
        for check in &self.checks {
            let _ = writeln!(
                out,
                "{}  {:<width$}  {}",
                check.outcome.label(),
                check.name,
                check.detail.replace('\n', "\n        ")
            );
        }
        let _ = writeln!(
            out,
            "\n{}: {} checks, {} passed, {} failed, {} skipped",
            if self.is_pass() { "PASSED" } else { "FAILED" },
            self.checks.len(),
            self.passed(),
            self.failed(),
            self.skipped()
        );
        out
    }

    /// The report as JUnit XML: one test suite (the connector), one test
    /// case per check.
    pub fn to_junit(&self) -> String {
        let suite = self.connector.clone().unwrap_or_else(|| {
            self.component
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "connector".into())
        });
        let total: f64 = self.checks.iter().map(|c| c.elapsed.as_secs_f64()).sum();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"connector-host test\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{total:.3}\">",
            self.checks.len(),
            self.failed(),
            self.skipped()
        );
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{total:.3}\">",
            xml(&suite),
            self.checks.len(),
            self.failed(),
            self.skipped()
        );
        let _ = writeln!(
            out,
            "    <properties><property name=\"component\" value=\"{}\"/>{}</properties>",
            xml(&self.component.display().to_string()),
            self.spec
                .as_ref()
                .map(|p| format!(
                    "<property name=\"spec\" value=\"{}\"/>",
                    xml(&p.display().to_string())
                ))
                .unwrap_or_default()
        );
        let classname = format!(
            "connector-host.test.{}",
            suite.split(' ').next().unwrap_or("")
        );
        for check in &self.checks {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                xml(&classname),
                xml(&check.name),
                check.elapsed.as_secs_f64()
            );
            match check.outcome {
                Outcome::Pass => {
                    let _ = writeln!(
                        out,
                        "><system-out>{}</system-out></testcase>",
                        xml(&check.detail)
                    );
                }
                Outcome::Fail => {
                    let _ = writeln!(
                        out,
                        "><failure message=\"{}\">{}</failure></testcase>",
                        xml(check.detail.lines().next().unwrap_or("")),
                        xml(&check.detail)
                    );
                }
                Outcome::Skip => {
                    let _ = writeln!(
                        out,
                        "><skipped message=\"{}\"/></testcase>",
                        xml(&check.detail)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

/// Escapes text for XML content and attributes; drops characters XML 1.0
/// cannot hold.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_escapes_and_counts() {
        let mut report = Report::new("a<b>.wasm".into(), None);
        report.add("one", Outcome::Pass, "fine", Duration::from_millis(5));
        report.add(
            "two & \"three\"",
            Outcome::Fail,
            "bad\nworse",
            Duration::ZERO,
        );
        report.add("four", Outcome::Skip, "why", Duration::ZERO);
        let xml = report.to_junit();
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" skipped=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains("name=\"two &amp; &quot;three&quot;\""),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"bad\">bad&#10;worse</failure>"),
            "{xml}"
        );
        assert!(xml.contains("value=\"a&lt;b&gt;.wasm\""), "{xml}");
        assert!(!report.is_pass());
        assert!(
            report
                .to_text()
                .contains("FAILED: 3 checks, 1 passed, 1 failed, 1 skipped")
        );
    }
}
