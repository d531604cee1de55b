//! Parsers for the typed values condition operators compare: dates
//! (ISO 8601 or epoch seconds), IP addresses and CIDR blocks, base64 and
//! numbers. Each is total: text that does not parse is `None`, and the
//! operator then finds no match.

use std::net::IpAddr;

/// Nanoseconds since 1970-01-01T00:00:00Z; wide enough for any year AWS accepts.
pub(crate) type Instant = i128;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Parses a date the way the `Date…` operators read it (IAM User Guide,
/// "Date condition operators": "a date in W3C's ISO 8601 format or in epoch
/// (UNIX) time"). Accepted: `YYYY-MM-DD`, optionally followed by
/// `Thh:mm`, `Thh:mm:ss` or `Thh:mm:ss.fraction`, then optionally `Z`,
/// `±hh`, `±hhmm` or `±hh:mm` (no zone means UTC); or epoch seconds, possibly
/// negative or with a fraction.
pub(crate) fn parse_date(text: &str) -> Option<Instant> {
    let text = text.trim();
    if let Some(instant) = parse_plain_utc(text.as_bytes()) {
        return Some(instant);
    }
    parse_date_general(text)
}

/// [`parse_date`] without its shortcut for the common spelling.
fn parse_date_general(text: &str) -> Option<Instant> {
    if text.is_empty() {
        return None;
    }
    let looks_iso =
        text.contains(['T', 't']) || text.get(1..).is_some_and(|rest| rest.contains('-'));
    if !looks_iso {
        return parse_epoch(text);
    }
    let (date, time) = match text.find(['T', 't']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    let mut fields = date.splitn(3, '-');
    let year: i64 = digits(fields.next()?, 4, 4)?;
    let month: i64 = digits(fields.next()?, 2, 2)?;
    let day: i64 = digits(fields.next()?, 2, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let (clock, offset_seconds) = split_zone(time)?;
    let mut seconds_of_day: i128 = 0;
    let mut nanos: i128 = 0;
    if !clock.is_empty() {
        let mut parts = clock.splitn(3, ':');
        let hours: i64 = digits(parts.next()?, 2, 2)?;
        let minutes: i64 = digits(parts.next()?, 2, 2)?;
        let (seconds, fraction) = match parts.next() {
            None => (0, None),
            Some(seconds) => match seconds.split_once('.') {
                Some((whole, fraction)) => (digits(whole, 2, 2)?, Some(fraction)),
                None => (digits(seconds, 2, 2)?, None),
            },
        };
        if hours > 24
            || minutes > 59
            || seconds > 60
            || (hours == 24 && (minutes, seconds) != (0, 0))
        {
            return None;
        }
        seconds_of_day = i128::from(hours * 3600 + minutes * 60 + seconds);
        if let Some(fraction) = fraction {
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let mut scaled: i128 = 0;
            for (position, digit) in fraction.bytes().take(9).enumerate() {
                scaled += i128::from(digit - b'0') * 10i128.pow(8 - position as u32);
            }
            nanos = scaled;
        }
    }
    Some(
        (i128::from(days) * 86_400 + seconds_of_day - i128::from(offset_seconds))
            * NANOS_PER_SECOND
            + nanos,
    )
}

/// Splits `hh:mm:ss.f` from its zone designator, returning the zone's offset
/// east of UTC in seconds.
fn split_zone(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let Some(at) = time.rfind(['+', '-']) else {
        return Some((time, 0));
    };
    let (clock, zone) = (&time[..at], &time[at + 1..]);
    let sign = if time.as_bytes()[at] == b'-' { -1 } else { 1 };
    let (hours, minutes) = match zone.split_once(':') {
        Some((hours, minutes)) => (digits(hours, 2, 2)?, digits(minutes, 2, 2)?),
        None if zone.len() == 4 => (digits(&zone[..2], 2, 2)?, digits(&zone[2..], 2, 2)?),
        None => (digits(zone, 2, 2)?, 0),
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((clock, sign * (hours * 3600 + minutes * 60)))
}

/// Epoch seconds, optionally signed and with a fraction.
fn parse_epoch(text: &str) -> Option<Instant> {
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (unsigned, ""),
    };
    if whole.is_empty() || whole.len() > 20 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i128 = whole.parse().ok()?;
    let mut nanos: i128 = 0;
    for (position, digit) in fraction.bytes().take(9).enumerate() {
        nanos += i128::from(digit - b'0') * 10i128.pow(8 - position as u32);
    }
    let value = seconds * NANOS_PER_SECOND + nanos;
    Some(if negative { -value } else { value })
}

/// A run of `min..=max` ASCII digits as a number.
fn digits(text: &str, min: usize, max: usize) -> Option<i64> {
    if text.len() < min || text.len() > max || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
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

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Epoch seconds as AWS writes `aws:CurrentTime`: `2026-01-02T03:04:05Z`.
pub fn format_iso8601(epoch_seconds: i64) -> String {
    match iso8601_ascii(epoch_seconds) {
        // Digits and punctuation: always UTF-8.
        Ok(text) => String::from_utf8(text.to_vec()).unwrap_or_default(),
        Err(text) => text,
    }
}

/// [`format_iso8601`] without allocating for the years 0–9999 (the 20
/// ASCII bytes); other years come formatted in `Err`. Every request's
/// context and audit record carries the time: digits are written in place,
/// without the formatting machinery.
pub fn iso8601_ascii(epoch_seconds: i64) -> Result<[u8; 20], String> {
    let days = epoch_seconds.div_euclid(86_400);
    let second_of_day = epoch_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    if !(0..=9999).contains(&year) {
        return Err(format!(
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"
        ));
    }
    let mut text = *b"0000-00-00T00:00:00Z";
    for (at, value, width) in [
        (0, year, 4),
        (5, month, 2),
        (8, day, 2),
        (11, hour, 2),
        (14, minute, 2),
        (17, second, 2),
    ] {
        let mut rest = value;
        for position in (at..at + width).rev() {
            if let Some(digit) = text.get_mut(position) {
                *digit = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
        }
    }
    Ok(text)
}

/// A CIDR block: an address and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    address: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `203.0.113.0/24`, `2001:DB8::/32`, or a bare address (all bits).
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().ok()?;
        let width = match address {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let prefix = match prefix {
            None => width,
            Some(prefix) => {
                let value = digits(prefix, 1, 3)?;
                u8::try_from(value).ok().filter(|bits| *bits <= width)?
            }
        };
        Some(Cidr { address, prefix })
    }

    /// Whether `address` lies in the block. IPv4 and IPv6 never match each
    /// other.
    pub(crate) fn contains(&self, address: IpAddr) -> bool {
        match (self.address, address) {
            (IpAddr::V4(block), IpAddr::V4(candidate)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.prefix))
                };
                u32::from(block) & mask == u32::from(candidate) & mask
            }
            (IpAddr::V6(block), IpAddr::V6(candidate)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                u128::from(block) & mask == u128::from(candidate) & mask
            }
            _ => false,
        }
    }
}

/// Parses a request's IP address (`aws:SourceIp`); a `/n` suffix is ignored.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let address = match text.bytes().position(|byte| byte == b'/') {
        Some(slash) => text.get(..slash).unwrap_or(text),
        None => text,
    };
    if let Some(address) = parse_plain_ipv4(address.as_bytes()) {
        return Some(IpAddr::V4(address));
    }
    address.parse().ok()
}

/// The common spelling of an IPv4 address, `192.0.2.10` (four decimal
/// octets without leading zeros), read without the general parser; `None`
/// for anything else, which the general parser then reads. Accepts only
/// what `Ipv4Addr::from_str` accepts, with the same value.
fn parse_plain_ipv4(text: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut fields = text.split(|&byte| byte == b'.');
    for octet in &mut octets {
        let field = fields.next()?;
        if field.is_empty() || field.len() > 3 || (field.len() > 1 && field[0] == b'0') {
            return None;
        }
        let value = field.iter().try_fold(0u16, |value, &byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u16::from(byte - b'0'))
        })?;
        *octet = u8::try_from(value).ok()?;
    }
    if fields.next().is_some() {
        return None;
    }
    Some(std::net::Ipv4Addr::from(octets))
}

/// The common spelling of an instant, `2023-11-14T22:13:20Z` (what
/// `aws:CurrentTime` holds), read without the general parser; `None` for
/// anything else, which [`parse_date`] then reads with the same checks.
fn parse_plain_utc(text: &[u8]) -> Option<Instant> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', n0, n1, b':', s0, s1, b'Z'] =
        *text
    else {
        return None;
    };
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0i64, |value, &byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + i64::from(byte - b'0'))
        })
    };
    let year = number(&[y0, y1, y2, y3])?;
    let month = number(&[m0, m1])?;
    let day = number(&[d0, d1])?;
    let hours = number(&[h0, h1])?;
    let minutes = number(&[n0, n1])?;
    let seconds = number(&[s0, s1])?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hours > 24
        || minutes > 59
        || seconds > 60
        || (hours == 24 && (minutes, seconds) != (0, 0))
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(
        (i128::from(days) * 86_400 + i128::from(hours * 3600 + minutes * 60 + seconds))
            * NANOS_PER_SECOND,
    )
}

/// Decodes standard base64 (padding optional, whitespace not allowed).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    if text.len() - trimmed.len() > 2 {
        return None;
    }
    let mut output = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for byte in trimmed.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            output.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // A single leftover character carries fewer than 8 bits: not base64.
    (bits < 6).then_some(output)
}

/// Parses a number for the `Numeric…` operators: an optionally signed
/// integer or decimal (no exponent, no `NaN`/`inf`).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    text.parse().ok()
}

/// Parses `true`/`false` (any case) for the `Bool` operator.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_agree_with_the_general_parsers() {
        let mut dates: Vec<String> = [
            "2023-11-14T22:13:20Z",
            "2024-02-29T24:00:00Z",
            "2024-02-29T24:00:01Z",
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-00-01T00:00:00Z",
            "2023-01-00T00:00:00Z",
            "2023-01-01T23:59:60Z",
            "2023-01-01T23:60:00Z",
            "0000-01-01T00:00:00Z",
            "2023-1a-01T00:00:00Z",
            "2023-11-14T22:13:20z",
            "2023-11-14t22:13:20Z",
        ]
        .map(String::from)
        .to_vec();
        for hour in 0..26 {
            dates.push(format!("1999-12-31T{hour:02}:00:00Z"));
        }
        for date in &dates {
            let shortcut = parse_plain_utc(date.as_bytes());
            assert!(
                shortcut.is_none() || shortcut == parse_date_general(date),
                "{date}"
            );
            assert_eq!(parse_date(date), parse_date_general(date), "{date}");
        }
        let mut addresses: Vec<String> = [
            "192.0.2.10",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "1.2.3.4 ",
            "",
            "1.2.3.-4",
            "1.2.3.1000",
            "::1",
            "0.00.0.0",
        ]
        .map(String::from)
        .to_vec();
        for octet in 0..300 {
            addresses.push(format!("10.{octet}.0.{octet:03}"));
        }
        for address in &addresses {
            let shortcut = parse_plain_ipv4(address.as_bytes());
            let general = address.parse::<std::net::Ipv4Addr>().ok();
            assert!(shortcut.is_none() || shortcut == general, "{address}");
        }
    }

    fn seconds(text: &str) -> Option<i128> {
        parse_date(text).map(|nanos| nanos / NANOS_PER_SECOND)
    }

    #[test]
    fn dates() {
        assert_eq!(seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(seconds("2020-01-01"), Some(1_577_836_800));
        assert_eq!(seconds("2020-01-01T00:00:00Z"), Some(1_577_836_800));
        assert_eq!(seconds("2020-01-01T01:00:00+01:00"), Some(1_577_836_800));
        assert_eq!(seconds("2019-12-31T23:00:00-0100"), Some(1_577_836_800));
        assert_eq!(seconds("2020-01-01T00:00"), Some(1_577_836_800));
        assert_eq!(
            parse_date("2020-01-01T00:00:00.5Z"),
            Some(1_577_836_800 * NANOS_PER_SECOND + 500_000_000)
        );
        assert_eq!(seconds("1577836800"), Some(1_577_836_800));
        assert_eq!(seconds("1577836800.25"), Some(1_577_836_800));
        assert_eq!(seconds("2020-02-30"), None);
        assert_eq!(seconds("2020-13-01"), None);
        assert_eq!(seconds("yesterday"), None);
        assert_eq!(seconds(""), None);
        assert_eq!(seconds("2024-02-29T12:00:00Z"), Some(1_709_208_000));
    }

    #[test]
    fn iso_round_trip() {
        for epoch in [0i64, 1_577_836_800, 1_709_208_000, 4_102_444_800, -86_400] {
            let text = format_iso8601(epoch);
            assert_eq!(seconds(&text), Some(i128::from(epoch)), "{text}");
        }
        assert_eq!(format_iso8601(1_577_836_800), "2020-01-01T00:00:00Z");
        // The digits written in place agree with the formatter, across
        // centuries, leap days and the ends of days.
        let formatted = |epoch: i64| {
            let days = epoch.div_euclid(86_400);
            let second_of_day = epoch.rem_euclid(86_400);
            let (year, month, day) = civil_from_days(days);
            format!(
                "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
                second_of_day / 3600,
                second_of_day / 60 % 60,
                second_of_day % 60
            )
        };
        // From 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
        let mut epoch = -62_167_219_200;
        while epoch < 253_402_300_800 {
            assert_eq!(format_iso8601(epoch), formatted(epoch));
            assert_eq!(format_iso8601(epoch + 86_399), formatted(epoch + 86_399));
            epoch += 86_400 * 97 + 3_723;
        }
        assert_eq!(format_iso8601(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(format_iso8601(-62_167_219_201), formatted(-62_167_219_201));
        assert_eq!(format_iso8601(253_402_300_800), "10000-01-01T00:00:00Z");
    }

    #[test]
    fn cidrs() {
        let block = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(block.contains("203.0.113.77".parse().unwrap()));
        assert!(!block.contains("203.0.114.1".parse().unwrap()));
        assert!(!block.contains("::1".parse().unwrap()));
        let v6 = Cidr::parse("2001:DB8:1234:5678::/64").unwrap();
        assert!(v6.contains("2001:db8:1234:5678:ffff::1".parse().unwrap()));
        assert!(!v6.contains("2001:db8:1234:5679::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.1")
            .unwrap()
            .contains("10.0.0.1".parse().unwrap()));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("nope/8"), None);
    }

    #[test]
    fn base64() {
        assert_eq!(
            decode_base64("QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
            Some(b"BinaryValueInBase64".to_vec())
        );
        assert_eq!(decode_base64("QQ"), Some(b"A".to_vec()));
        assert_eq!(decode_base64("Q"), None);
        assert_eq!(decode_base64("!!"), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("1e3"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number(""), None);
    }
}
