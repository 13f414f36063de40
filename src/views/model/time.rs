//! Reading the server's timestamps and placing them in days.
//!
//! The API sends ISO-8601 timestamps with a zone
//! (`2026-01-31T12:00:00.123456+00:00`). The views need the instant (to
//! group messages sent close together) and the local calendar day (for day
//! separators). The browser knows the local zone; these functions take its
//! offset as an argument so that they stay pure.
//!
//! ```
//! use workflow_chat::views::model::time::{parse_timestamp, local_day, DayLabel, day_label};
//! let ms = parse_timestamp("1970-01-02T00:30:00+00:00").unwrap();
//! assert_eq!(ms, 88_200_000);
//! // Half past midnight UTC is still the first of January in New York (UTC-5).
//! assert_eq!(local_day(ms, -300), 0);
//! assert_eq!(day_label(1, 1), DayLabel::Today);
//! ```

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Parses `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]` into milliseconds
/// since the Unix epoch. A missing zone is read as UTC.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = text.get(from..from + len)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = num(0, 4)?;
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = num(11, 2)?;
    if bytes.get(13) != Some(&b':') {
        return None;
    }
    let minute = num(14, 2)?;
    let mut pos = 16;
    let mut second = 0;
    let mut millis = 0;
    if bytes.get(pos) == Some(&b':') {
        second = num(pos + 1, 2)?;
        pos += 3;
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            let digits = &text[start..pos];
            if digits.is_empty() {
                return None;
            }
            let first3: String = digits.chars().chain("000".chars()).take(3).collect();
            millis = first3.parse::<i64>().ok()?;
        }
    }
    let offset_minutes = match bytes.get(pos) {
        None => 0,
        Some(b'Z' | b'z') if pos + 1 == bytes.len() => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = num(pos + 1, 2)?;
            let rest = &text[pos + 3..];
            let minutes = match rest {
                "" => 0,
                _ if rest.len() == 3 && rest.starts_with(':') => num(pos + 4, 2)?,
                _ if rest.len() == 2 => num(pos + 3, 2)?,
                _ => return None,
            };
            let total = hours * 60 + minutes;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Counting years from March puts the leap day at the end of the year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The local calendar day (days since 1970-01-01) of an instant, for a zone
/// `offset_minutes` east of UTC (the negation of JavaScript's
/// `getTimezoneOffset()`).
pub fn local_day(ms: i64, offset_minutes: i32) -> i64 {
    (ms + i64::from(offset_minutes) * 60_000).div_euclid(DAY_MS)
}

/// How a day separator names a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayLabel {
    /// The current day.
    Today,
    /// The day before.
    Yesterday,
    /// Any other day: shown as a date.
    Date,
}

/// Names `day` as seen on `today` (both local day numbers).
pub fn day_label(day: i64, today: i64) -> DayLabel {
    match today - day {
        0 => DayLabel::Today,
        1 => DayLabel::Yesterday,
        _ => DayLabel::Date,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_server_sends() {
        let base = parse_timestamp("2026-01-31T12:00:00+00:00").unwrap();
        assert_eq!(base, 1_769_860_800_000);
        assert_eq!(
            parse_timestamp("2026-01-31T12:00:00.123456+00:00"),
            Some(base + 123)
        );
        assert_eq!(parse_timestamp("2026-01-31 12:00:00.5Z"), Some(base + 500));
        assert_eq!(
            parse_timestamp("2026-01-31T13:30:00+01:30"),
            Some(base),
            "positive offsets subtract"
        );
        assert_eq!(parse_timestamp("2026-01-31T07:00:00-05"), Some(base));
        assert_eq!(parse_timestamp("2026-01-31T07:00:00-0500"), Some(base));
        assert_eq!(parse_timestamp("2026-01-31T12:00"), Some(base));
        assert_eq!(
            parse_timestamp("2024-02-29T00:00:00Z"),
            Some(days_from_civil(2024, 2, 29) * DAY_MS)
        );
        assert_eq!(parse_timestamp("1969-12-31T23:59:59Z"), Some(-1000));
    }

    #[test]
    fn refuses_malformed_timestamps() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2026-01-31X12:00:00Z",
            "2026-01-31T24:00:00Z",
            "2026-01-31T12:00:00.Z",
            "2026-01-31T12:00:00+1",
            "2026-01-31T12:00:00 garbage",
            "2026-1-31T12:00:00Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }

    #[test]
    fn local_days_follow_the_offset() {
        let ms = parse_timestamp("2026-01-31T23:30:00Z").unwrap();
        let utc_day = days_from_civil(2026, 1, 31);
        assert_eq!(local_day(ms, 0), utc_day);
        assert_eq!(
            local_day(ms, 60),
            utc_day + 1,
            "Paris is already on the 1st"
        );
        assert_eq!(local_day(ms, -600), utc_day);
        let early = parse_timestamp("2026-01-31T00:30:00Z").unwrap();
        assert_eq!(local_day(early, -60), utc_day - 1);
        assert_eq!(local_day(-1, 0), -1);
    }

    #[test]
    fn labels() {
        assert_eq!(day_label(10, 10), DayLabel::Today);
        assert_eq!(day_label(9, 10), DayLabel::Yesterday);
        assert_eq!(day_label(3, 10), DayLabel::Date);
        assert_eq!(day_label(11, 10), DayLabel::Date);
    }
}
