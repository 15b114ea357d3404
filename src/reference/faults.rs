//! Faults the reference implementation can inject, for testing idempotency handling and for
//! client teams rehearsing bad days. Faults stay within the contract: answers remain
//! idempotent, and an `unknown` first answer settles to the remembered result.

use std::str::FromStr;
use std::time::Duration;

/// Which faults to inject and how often.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Faults {
    /// Probability that the first answer for a new key is the `unknown` status (later answers
    /// for that key give the real result).
    pub unknown_first: f64,
    /// Delay added to every answer.
    pub latency: Option<Duration>,
    /// Probability that a request is answered with HTTP 503 before any processing.
    pub http_503: f64,
}

impl Faults {
    /// Draws whether this new key's first answer is `unknown`.
    pub(crate) fn unknown_first(&self) -> bool {
        draw(self.unknown_first)
    }

    /// Draws whether this request gets an HTTP 503.
    pub(crate) fn http_503(&self) -> bool {
        draw(self.http_503)
    }

    /// Adds one `NAME=VALUE` fault, as given to `--fault`.
    pub(crate) fn add(&mut self, spec: &str) -> Result<(), String> {
        let (name, value) = spec
            .split_once('=')
            .ok_or_else(|| format!("`{spec}` is not NAME=VALUE (e.g. unknown-first=0.5)"))?;
        match name {
            "unknown-first" => self.unknown_first = probability(value)?,
            "http-503" => self.http_503 = probability(value)?,
            "latency" => self.latency = Some(crate::units::parse_duration(value)?),
            other => {
                return Err(format!(
                    "unknown fault `{other}`: expected unknown-first, latency or http-503"
                ));
            }
        }
        Ok(())
    }

    /// The active faults as `--fault` takes them, e.g. `unknown-first=0.3, latency=50ms`, or
    /// `none`.
    pub(crate) fn describe(&self) -> String {
        let mut active = Vec::new();
        if self.unknown_first > 0.0 {
            active.push(format!("unknown-first={}", self.unknown_first));
        }
        if let Some(latency) = self.latency {
            active.push(format!(
                "latency={}",
                crate::units::format_duration(latency)
            ));
        }
        if self.http_503 > 0.0 {
            active.push(format!("http-503={}", self.http_503));
        }
        if active.is_empty() {
            return "none".into();
        }
        active.join(", ")
    }

    /// Whether any fault is active.
    pub(crate) fn any(&self) -> bool {
        self.unknown_first > 0.0 || self.http_503 > 0.0 || self.latency.is_some()
    }
}

impl FromStr for Faults {
    type Err = String;

    /// Parses a comma-separated list, e.g. `unknown-first=0.3,latency=50ms`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut faults = Faults::default();
        for spec in text.split(',').filter(|s| !s.trim().is_empty()) {
            faults.add(spec.trim())?;
        }
        Ok(faults)
    }
}

fn draw(probability: f64) -> bool {
    probability > 0.0 && fastrand::f64() < probability
}

fn probability(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{value}` is not a probability between 0 and 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_fault_kind() {
        let faults: Faults = "unknown-first=0.5,latency=20ms,http-503=1".parse().unwrap();
        assert_eq!(faults.unknown_first, 0.5);
        assert_eq!(faults.latency, Some(Duration::from_millis(20)));
        assert!(faults.http_503());
        assert!(!Faults::default().unknown_first());
        assert_eq!(
            faults.describe(),
            "unknown-first=0.5, latency=20ms, http-503=1"
        );
        assert_eq!(Faults::default().describe(), "none");
    }

    #[test]
    fn rejects_unknown_faults_and_bad_probabilities() {
        assert!(
            "slow=1"
                .parse::<Faults>()
                .unwrap_err()
                .contains("unknown fault `slow`")
        );
        assert!(
            "http-503=2"
                .parse::<Faults>()
                .unwrap_err()
                .contains("not a probability")
        );
    }
}
