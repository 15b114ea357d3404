//! The `date-time` format: ISO 8601 extended format with a mandatory offset.
//!
//! Accepted: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`. Rejected on purpose: date-only
//! values, a missing offset, a space (or lower-case `t`) instead of `T`, basic-format offsets
//! (`+0800`) and impossible calendar values (month 13, 30 February, hour 24). Lenient parsers
//! accept some of these, which is exactly the kind of drift a contract check must catch, so the
//! grammar is checked here by hand and only the calendar arithmetic is left to `jiff`.

/// Why a string is not a valid date-time, as a short phrase for messages.
pub(crate) fn check(text: &str) -> Result<(), &'static str> {
    let bytes = text.as_bytes();
    if bytes.len() < 10 || !date_shape(&bytes[..10]) {
        return Err("not a date in YYYY-MM-DD form");
    }
    let rest = &bytes[10..];
    match rest.first() {
        None => return Err("date only, no time"),
        Some(b'T') => {}
        Some(b' ') => return Err("space instead of `T` between date and time"),
        Some(_) => return Err("expected `T` between date and time"),
    }
    let (time, zone) = split_time(&rest[1..])?;
    check_zone(zone)?;
    check_calendar(&bytes[..10], time)
}

fn date_shape(date: &[u8]) -> bool {
    digits(&date[0..4])
        && date[4] == b'-'
        && digits(&date[5..7])
        && date[7] == b'-'
        && digits(&date[8..10])
}

/// Splits `HH:MM:SS[.f+]` from the zone designator that follows it.
fn split_time(rest: &[u8]) -> Result<(&[u8], &[u8]), &'static str> {
    if rest.len() < 8 || !(digits(&rest[0..2]) && rest[2] == b':' && digits(&rest[3..5])) {
        return Err("time is not HH:MM:SS");
    }
    if rest[5] != b':' || !digits(&rest[6..8]) {
        return Err("time is not HH:MM:SS");
    }
    let mut end = 8;
    if rest.get(8) == Some(&b'.') {
        end = 9;
        while rest.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == 9 {
            return Err("fraction of a second has no digits");
        }
    }
    Ok((&rest[..end], &rest[end..]))
}

fn check_zone(zone: &[u8]) -> Result<(), &'static str> {
    match zone {
        [] => Err("no offset (add `Z` or `+HH:MM`)"),
        [b'Z'] => Ok(()),
        [sign, h1, h2, b':', m1, m2] if (*sign == b'+' || *sign == b'-') => {
            let hours = number(&[*h1, *h2]).ok_or("offset is not +HH:MM")?;
            let minutes = number(&[*m1, *m2]).ok_or("offset is not +HH:MM")?;
            if hours > 23 || minutes > 59 {
                return Err("offset out of range");
            }
            Ok(())
        }
        _ => Err("offset is not `Z` or +HH:MM"),
    }
}

fn check_calendar(date: &[u8], time: &[u8]) -> Result<(), &'static str> {
    let year = number(&date[0..4]).ok_or("bad year")? as i16;
    let month = number(&date[5..7]).ok_or("bad month")?;
    let day = number(&date[8..10]).ok_or("bad day")?;
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    if jiff::civil::Date::new(year, month as i8, day as i8).is_err() {
        return Err("no such day in that month");
    }
    let hour = number(&time[0..2]).ok_or("bad hour")?;
    let minute = number(&time[3..5]).ok_or("bad minute")?;
    let second = number(&time[6..8]).ok_or("bad second")?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err("time out of range");
    }
    Ok(())
}

fn digits(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_digit)
}

fn number(bytes: &[u8]) -> Option<u32> {
    if !digits(bytes) {
        return None;
    }
    bytes
        .iter()
        .try_fold(0u32, |acc, b| Some(acc * 10 + u32::from(b - b'0')))
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_offsets_utc_and_fractional_seconds() {
        for ok in [
            "2022-02-17T00:00:00+08:00",
            "2022-02-17T00:00:00.00+08:00",
            "2022-02-17T23:59:59.123456789-05:30",
            "2024-02-29T12:00:00Z",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_date_only_missing_offset_and_space_separator() {
        assert_eq!(check("2022-02-17"), Err("date only, no time"));
        assert!(
            check("2022-02-17T00:00:00")
                .unwrap_err()
                .contains("no offset")
        );
        assert!(
            check("2022-02-17 00:00:00+08:00")
                .unwrap_err()
                .contains("space")
        );
        assert!(check("2022-02-17T00:00:00+0800").is_err());
        assert!(check("2022-02-17t00:00:00Z").is_err());
    }

    #[test]
    fn rejects_impossible_calendar_values() {
        assert_eq!(
            check("2022-13-17T00:00:00+08:00"),
            Err("month out of range")
        );
        assert_eq!(
            check("2023-02-29T00:00:00+08:00"),
            Err("no such day in that month")
        );
        assert_eq!(check("2022-02-17T24:00:00+08:00"), Err("time out of range"));
        assert!(check("2022-02-17T00:00:00.+08:00").is_err());
    }
}
