//! Medians, ratios and targets, and the printed table.

use crate::measure::Sample;

/// The median (mean of the middle two for an even count); 0 for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// What a ratio has to be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// At most this (a slowdown factor).
    AtMost(f64),
    /// At least this (a speed-up factor).
    AtLeast(f64),
}

impl Target {
    /// True when `value` meets the target.
    pub fn met(self, value: f64) -> bool {
        match self {
            Target::AtMost(limit) => value <= limit,
            Target::AtLeast(limit) => value >= limit,
        }
    }

    /// `<= 1.05x` / `>= 10x`.
    pub fn describe(self) -> String {
        match self {
            Target::AtMost(limit) => format!("<= {limit}x"),
            Target::AtLeast(limit) => format!(">= {limit}x"),
        }
    }
}

/// One configuration's results over the rounds, or why it was skipped.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was measured.
    pub name: String,
    /// Timed calls asked for per round.
    pub calls: u64,
    /// One sample per round.
    pub samples: Vec<Sample>,
    /// Set when the configuration was not measured.
    pub skipped: Option<String>,
}

impl Row {
    /// A row to fill.
    pub fn new(name: impl Into<String>, calls: u64) -> Row {
        Row {
            name: name.into(),
            calls,
            samples: Vec::new(),
            skipped: None,
        }
    }

    /// A row that was not measured.
    pub fn skipped(name: impl Into<String>, calls: u64, why: impl Into<String>) -> Row {
        Row {
            skipped: Some(why.into()),
            ..Row::new(name, calls)
        }
    }

    /// Median requests per second over the rounds (None when skipped or not measured).
    pub fn median_rps(&self) -> Option<f64> {
        if self.skipped.is_some() || self.samples.is_empty() {
            return None;
        }
        Some(median(
            &self.samples.iter().map(Sample::rps).collect::<Vec<_>>(),
        ))
    }

    /// Failed calls over all rounds.
    pub fn errors(&self) -> u64 {
        self.samples.iter().map(|s| s.errors).sum()
    }

    /// The first failure.
    pub fn first_error(&self) -> Option<&str> {
        self.samples.iter().find_map(|s| s.first_error.as_deref())
    }

    /// The table line.
    pub fn line(&self) -> String {
        if let Some(why) = &self.skipped {
            return format!("{:<44} skipped: {why}", self.name);
        }
        let rps: Vec<f64> = self.samples.iter().map(Sample::rps).collect();
        let min = rps.iter().copied().fold(f64::INFINITY, f64::min);
        let max = rps.iter().copied().fold(0.0, f64::max);
        let truncated = if self.samples.iter().any(|s| s.truncated) {
            "  (stopped at the time limit)"
        } else {
            ""
        };
        format!(
            "{:<44} {:>7} {:>12.0} {:>10.0} {:>10.0} {:>7}{truncated}",
            self.name,
            self.calls,
            self.median_rps().unwrap_or(0.0),
            if min.is_finite() { min } else { 0.0 },
            max,
            self.errors(),
        )
    }
}

/// The header of the table of [`Row::line`]s.
pub fn header() -> String {
    format!(
        "{:<44} {:>7} {:>12} {:>10} {:>10} {:>7}",
        "config", "calls", "median req/s", "min", "max", "errors"
    )
}

/// One line of the ratio table: `numerator / denominator` medians against a target.
pub fn ratio_line(name: &str, numerator: &Row, denominator: &Row, target: Target) -> String {
    match (numerator.median_rps(), denominator.median_rps()) {
        (Some(a), Some(b)) if b > 0.0 => {
            let value = a / b;
            let verdict = if target.met(value) { "met" } else { "MISSED" };
            format!(
                "{name:<52} {:>9} {:>10}  {verdict}",
                format!("{value:.3}x"),
                target.describe()
            )
        }
        _ => {
            let why = numerator
                .skipped
                .as_deref()
                .or(denominator.skipped.as_deref())
                .unwrap_or("no measurement");
            format!(
                "{name:<52} {:>9} {:>10}  skipped: {why}",
                "-",
                target.describe()
            )
        }
    }
}

/// The header of the ratio table.
pub fn ratio_header() -> String {
    format!("{:<52} {:>9} {:>10}  result", "ratio", "value", "target")
}
