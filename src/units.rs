//! Durations and sizes as people write them on the command line and in contracts (`10s`,
//! `250ms`, `1.5s`; `4MiB`, `512KiB`, `1000000`).

use std::time::Duration;

/// Parses a friendly duration such as `10s`, `250ms`, `1m 30s` or `1.5s`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let signed: jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (examples: 10s, 250ms, 1m 30s)"))?;
    Duration::try_from(signed).map_err(|_| format!("`{text}` is negative"))
}

/// Renders a duration compactly for summaries: `850ms`, `1.24s`, `2m 5s`.
pub(crate) fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis}ms")
    } else if millis.is_multiple_of(1000) && millis < 60_000 {
        format!("{}s", millis / 1000)
    } else if millis < 60_000 {
        format!("{:.2}s", duration.as_secs_f64())
    } else if duration.as_secs() < 3600 {
        let secs = duration.as_secs();
        format!("{}m {}s", secs / 60, secs % 60)
    } else {
        let minutes = duration.as_secs() / 60;
        match minutes % 60 {
            0 => format!("{}h", minutes / 60),
            m => format!("{}h {m}m", minutes / 60),
        }
    }
}

/// Parses a byte size: a whole number of bytes, or one with a unit (`KiB`, `MiB`, `GiB` are
/// powers of 1024; `kB`, `MB`, `GB` powers of 1000; `B` is bytes), spaces allowed.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let invalid = || format!("`{text}` is not a size (examples: 4MiB, 512KiB, 1048576)");
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(split);
    let number: u64 = digits.parse().map_err(|_| invalid())?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "kB" | "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return Err(invalid()),
    };
    number.checked_mul(factor).ok_or_else(invalid)
}

/// Renders a byte size for messages: `4 MiB`, `512 KiB`, `1000 bytes`.
pub(crate) fn format_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{} {unit}", bytes / size);
        }
    }
    match UNITS.iter().find(|(size, _)| bytes >= *size) {
        Some((size, unit)) => format!("{:.1} {unit}", bytes as f64 / *size as f64),
        None => format!("{bytes} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes_with_binary_and_decimal_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64KiB"), Ok(64 * 1024));
        assert_eq!(parse_size("1 MiB"), Ok(1024 * 1024));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert!(parse_size("1mb").unwrap_err().contains("not a size"));
        assert!(parse_size("MiB").is_err());
        assert_eq!(format_size(1024 * 1024), "1 MiB");
        assert_eq!(format_size(16 * 1024), "16 KiB");
        assert_eq!(format_size(1000), "1000 bytes");
        assert_eq!(format_size(1536), "1.5 KiB");
    }

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
    fn parses_sizes_with_and_without_units() {
        assert_eq!(parse_size("4MiB"), Ok(4 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1MB"), Ok(1_000_000));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        for bad in ["", "MiB", "4 mebibytes", "-1", "99999999999GiB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_sizes_in_the_largest_whole_unit() {
        assert_eq!(format_size(4 << 20), "4 MiB");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(1000), "1000 bytes");
    }

    #[test]
    fn formats_by_magnitude() {
        assert_eq!(format_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(format_duration(Duration::from_millis(1240)), "1.24s");
        assert_eq!(format_duration(Duration::from_secs(10)), "10s");
        assert_eq!(format_duration(Duration::from_secs(125)), "2m 5s");
        assert_eq!(format_duration(Duration::from_secs(24 * 3600)), "24h");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h 30m");
    }
}
