//! Durations as people write them on the command line and in contracts (`10s`, `250ms`, `1.5s`).

use std::time::Duration;

/// Parses a friendly duration such as `10s`, `250ms`, `1m 30s` or `1.5s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let signed: jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (examples: 10s, 250ms, 1m 30s)"))?;
    Duration::try_from(signed).map_err(|_| format!("`{text}` is negative"))
}

/// Renders a duration compactly for summaries: `850ms`, `1.24s`, `2m 5s`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis}ms")
    } else if millis.is_multiple_of(1000) && millis < 60_000 {
        format!("{}s", millis / 1000)
    } else if millis < 60_000 {
        format!("{:.2}s", duration.as_secs_f64())
    } else {
        let secs = duration.as_secs();
        format!("{}m {}s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(
            parse_duration("ten")
                .unwrap_err()
                .contains("not a duration")
        );
    }

    #[test]
    fn formats_by_magnitude() {
        assert_eq!(format_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(format_duration(Duration::from_millis(1240)), "1.24s");
        assert_eq!(format_duration(Duration::from_secs(10)), "10s");
        assert_eq!(format_duration(Duration::from_secs(125)), "2m 5s");
    }
}
