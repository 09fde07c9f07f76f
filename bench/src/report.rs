//! What a run prints: figures as they are measured, then one table of every figure and one
//! of the targets, each a ratio to a limit measured in the same run.

use std::fmt::Write as _;

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Figure {
    pub section: &'static str,
    pub what: String,
    pub value: String,
}

/// One target: a measured ratio (or value) against the bound the issue sets.
#[derive(Debug, Clone)]
pub struct Check {
    pub what: String,
    pub measured: f64,
    pub bound: Bound,
    /// What the measured figure is, in words (e.g. "2,310/s of 4,120/s").
    pub detail: String,
}

#[derive(Debug, Clone, Copy)]
pub enum Bound {
    AtLeast(f64),
    AtMost(f64),
}

impl Check {
    pub fn passed(&self) -> bool {
        match self.bound {
            Bound::AtLeast(min) => self.measured >= min,
            Bound::AtMost(max) => self.measured <= max,
        }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    figures: Vec<Figure>,
    checks: Vec<Check>,
}

impl Report {
    /// Records and prints a figure.
    pub fn figure(&mut self, section: &'static str, what: impl Into<String>, value: impl Into<String>) {
        let figure = Figure { section, what: what.into(), value: value.into() };
        println!("  [{}] {}: {}", figure.section, figure.what, figure.value);
        self.figures.push(figure);
    }

    /// Records and prints a target check.
    pub fn check(&mut self, what: impl Into<String>, measured: f64, bound: Bound, detail: impl Into<String>) {
        let check = Check { what: what.into(), measured, bound, detail: detail.into() };
        println!("  target {}: {:.2} ({}) {}", check.what, check.measured, bound_text(check.bound), verdict(&check));
        self.checks.push(check);
    }

    #[cfg(test)]
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The two tables, in Markdown (BENCHMARKS.md takes them as they are).
    pub fn tables(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "| section | what | figure |\n|---|---|---|");
        for f in &self.figures {
            let _ = writeln!(out, "| {} | {} | {} |", f.section, f.what, f.value);
        }
        let _ = writeln!(out, "\n| target | measured | bound | figures | |\n|---|---|---|---|---|");
        for c in &self.checks {
            let _ = writeln!(out, "| {} | {:.2} | {} | {} | {} |", c.what, c.measured, bound_text(c.bound), c.detail, verdict(c));
        }
        let passed = self.checks.iter().filter(|c| c.passed()).count();
        let _ = writeln!(out, "\n{passed} of {} targets met.", self.checks.len());
        out
    }
}

fn bound_text(bound: Bound) -> String {
    match bound {
        Bound::AtLeast(min) => format!(">= {min}"),
        Bound::AtMost(max) => format!("<= {max}"),
    }
}

fn verdict(check: &Check) -> &'static str {
    if check.passed() {
        "PASS"
    } else {
        "MISS"
    }
}

/// `12345.6` as `12,346`.
#[allow(clippy::manual_is_multiple_of)]
pub fn thousands(value: f64) -> String {
    let rounded = value.round() as i64;
    let digits = rounded.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        // `usize::is_multiple_of` is newer than the workspace's rust-version (1.85).
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A rate as `12,346/s`.
pub fn rate(value: f64) -> String {
    format!("{}/s", thousands(value))
}

/// Latencies in milliseconds, sorted on demand.
#[derive(Debug, Default, Clone)]
pub struct Latencies(Vec<f64>);

impl Latencies {
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    pub fn push(&mut self, elapsed: std::time::Duration) {
        self.0.push(elapsed.as_secs_f64() * 1000.0);
    }

    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The `q` quantile (0.5, 0.99) in milliseconds; 0 when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        let index = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    }

    /// `p50 0.41 ms, p99 2.10 ms`.
    pub fn summary(&self) -> String {
        format!("p50 {:.2} ms, p99 {:.2} ms", self.quantile(0.5), self.quantile(0.99))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(-4321.0), "-4,321");
    }

    #[test]
    fn quantiles_pick_the_rank() {
        let mut l = Latencies::default();
        for ms in 1..=100 {
            l.push(std::time::Duration::from_millis(ms));
        }
        assert_eq!(l.quantile(0.5), 50.0);
        assert_eq!(l.quantile(0.99), 99.0);
        assert_eq!(Latencies::default().quantile(0.99), 0.0);
    }

    #[test]
    fn a_check_passes_only_within_its_bound() {
        let mut r = Report::default();
        r.check("a", 0.6, Bound::AtLeast(0.5), "");
        r.check("b", 0.4, Bound::AtLeast(0.5), "");
        r.check("c", 1.6, Bound::AtMost(1.5), "");
        let verdicts: Vec<bool> = r.checks().iter().map(Check::passed).collect();
        assert_eq!(verdicts, [true, false, false]);
        assert!(r.tables().contains("1 of 3 targets met."));
    }
}
