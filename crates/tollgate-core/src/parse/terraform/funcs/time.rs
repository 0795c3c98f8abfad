//! Time functions: RFC 3339 timestamps, `formatdate` and `timeadd`.

use super::*;

/// An RFC 3339 timestamp: the instant (seconds since the Unix epoch and
/// nanoseconds) and the UTC offset it was written with, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timestamp {
    unix: i64,
    nanos: u32,
    offset: i32,
}

/// The calendar fields of a timestamp in its own offset.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// 0 = Sunday.
    weekday: u32,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Timestamp {
    /// Parses `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`, as Go's
    /// `time.Parse(time.RFC3339, ...)` does for Terraform.
    fn parse(s: &str) -> Result<Timestamp, String> {
        let bad = |what: &str| format!("not a valid RFC3339 timestamp: {what} in \"{s}\"");
        let b = s.as_bytes();
        let num = |from: usize, len: usize, what: &str| -> Result<u32, String> {
            let part = s.get(from..from + len).ok_or_else(|| bad(&format!("end of string before {what}")))?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad(&format!("cannot use \"{part}\" as {what}")));
            }
            part.parse::<u32>().map_err(|_| bad(&format!("cannot use \"{part}\" as {what}")))
        };
        let sep = |at: usize, c: u8| -> Result<(), String> {
            match b.get(at) {
                Some(x) if *x == c => Ok(()),
                Some(_) => Err(bad(&format!("expected \"{}\" at position {}", char::from(c), at + 1))),
                None => Err(bad(&format!("end of string where \"{}\" is expected", char::from(c)))),
            }
        };
        let year = num(0, 4, "year")?;
        sep(4, b'-')?;
        let month = num(5, 2, "month")?;
        sep(7, b'-')?;
        let day = num(8, 2, "day of month")?;
        sep(10, b'T')?;
        let hour = num(11, 2, "hour")?;
        sep(13, b':')?;
        let minute = num(14, 2, "minute")?;
        sep(16, b':')?;
        let second = num(17, 2, "second")?;
        let year = i64::from(year);
        if !(1..=12).contains(&month) {
            return Err(bad("month out of range"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(bad("day out of range"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(bad("time out of range"));
        }
        let mut i = 19;
        let mut nanos = 0u32;
        if b.get(i) == Some(&b'.') {
            let digits = b.get(i + 1..).unwrap_or_default().iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return Err(bad("missing fraction digits"));
            }
            for (k, c) in b.get(i + 1..i + 1 + digits).unwrap_or_default().iter().enumerate() {
                if k < 9 {
                    nanos = nanos * 10 + u32::from(c - b'0');
                }
            }
            for _ in digits..9 {
                nanos *= 10;
            }
            i += 1 + digits;
        }
        let offset = match s.get(i..) {
            Some("Z") => 0,
            Some(z) if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) => {
                sep(i + 3, b':')?;
                let oh = num(i + 1, 2, "UTC offset")?;
                let om = num(i + 4, 2, "UTC offset")?;
                if oh > 23 || om > 59 {
                    return Err(bad("UTC offset out of range"));
                }
                let secs = i32::try_from(oh * 3600 + om * 60).unwrap_or(0);
                if z.starts_with('-') { -secs } else { secs }
            }
            Some("") | None => return Err(bad("end of string before UTC offset")),
            Some(z) => return Err(bad(&format!("cannot use \"{z}\" as UTC offset"))),
        };
        let local = days_from_civil(year, month, day) * 86_400
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        Ok(Timestamp { unix: local - i64::from(offset), nanos, offset })
    }

    fn civil(&self) -> Civil {
        let local = self.unix + i64::from(self.offset);
        let days = local.div_euclid(86_400);
        let secs = u32::try_from(local.rem_euclid(86_400)).unwrap_or(0);
        let (year, month, day) = civil_from_days(days);
        let weekday = u32::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
        Civil { year, month, day, hour: secs / 3600, minute: secs / 60 % 60, second: secs % 60, weekday }
    }

    /// The offset as `+hh:mm` (`colon`) or `+hhmm`.
    fn offset_text(&self, colon: bool) -> String {
        let sign = if self.offset < 0 { '-' } else { '+' };
        let a = self.offset.unsigned_abs();
        if colon {
            format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
        } else {
            format!("{sign}{:02}{:02}", a / 3600, a / 60 % 60)
        }
    }

    /// RFC 3339 without fractional seconds, in the timestamp's own offset
    /// (`Z` when it is zero), as Go's `Format(time.RFC3339)`.
    fn rfc3339(&self) -> Result<String, String> {
        let c = self.civil();
        if !(0..=9999).contains(&c.year) {
            return Err(format!("year {} is outside the range RFC 3339 can express", c.year));
        }
        let zone = if self.offset == 0 { "Z".to_string() } else { self.offset_text(true) };
        Ok(format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}", c.year, c.month, c.day, c.hour, c.minute, c.second))
    }
}

/// `formatdate(spec, timestamp)` with Terraform's format sequences; quoted
/// text (`'...'`, `''` for a quote) is copied verbatim, as is any
/// character that is not an ASCII letter.
fn formatdate(spec: &str, ts: &str) -> Result<String, String> {
    let t = Timestamp::parse(ts)?;
    let c = t.civil();
    let mut out = String::new();
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    while let Some(&ch) = chars.get(i) {
        if ch == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err("unterminated literal '".into()),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(x) => {
                        out.push(*x);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !ch.is_ascii_alphabetic() {
            out.push(ch);
            i += 1;
            continue;
        }
        let n = chars.get(i..).unwrap_or_default().iter().take_while(|x| **x == ch).count();
        i += n;
        let verb: String = std::iter::repeat_n(ch, n).collect();
        let invalid = |rule: &str| format!("invalid date format verb \"{verb}\": {rule}");
        let h12 = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
        let text = match (ch, n) {
            ('Y', 2) => format!("{:02}", c.year.rem_euclid(100)),
            ('Y', 4) => format!("{:04}", c.year),
            ('Y', _) => return Err(invalid("year must either be \"YY\" or \"YYYY\"")),
            ('M', 1) => c.month.to_string(),
            ('M', 2) => format!("{:02}", c.month),
            ('M', 3 | 4) => {
                let name = MONTHS.get(c.month as usize - 1).copied().unwrap_or_default();
                if n == 3 { name.chars().take(3).collect() } else { name.to_string() }
            }
            ('M', _) => return Err(invalid("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"")),
            ('D', 1) => c.day.to_string(),
            ('D', 2) => format!("{:02}", c.day),
            ('D', _) => return Err(invalid("day of month must either be \"D\" or \"DD\"")),
            ('E', 3 | 4) => {
                let name = WEEKDAYS.get(c.weekday as usize).copied().unwrap_or_default();
                if n == 3 { name.chars().take(3).collect() } else { name.to_string() }
            }
            ('E', _) => return Err(invalid("day of week must either be \"EEE\" or \"EEEE\"")),
            ('h', 1) => c.hour.to_string(),
            ('h', 2) => format!("{:02}", c.hour),
            ('h', _) => return Err(invalid("24-hour must either be \"h\" or \"hh\"")),
            ('H', 1) => h12.to_string(),
            ('H', 2) => format!("{h12:02}"),
            ('H', _) => return Err(invalid("12-hour must either be \"H\" or \"HH\"")),
            ('A', 2) => (if c.hour < 12 { "AM" } else { "PM" }).to_string(),
            ('a', 2) => (if c.hour < 12 { "am" } else { "pm" }).to_string(),
            ('A' | 'a', _) => return Err(invalid(&format!("must be \"{ch}{ch}\""))),
            ('m', 1) => c.minute.to_string(),
            ('m', 2) => format!("{:02}", c.minute),
            ('m', _) => return Err(invalid("minute must either be \"m\" or \"mm\"")),
            ('s', 1) => c.second.to_string(),
            ('s', 2) => format!("{:02}", c.second),
            ('s', _) => return Err(invalid("second must either be \"s\" or \"ss\"")),
            ('Z', 1) if t.offset == 0 => "Z".to_string(),
            ('Z', 1 | 5) => t.offset_text(true),
            ('Z', 3) if t.offset == 0 => "UTC".to_string(),
            ('Z', 3 | 4) => t.offset_text(false),
            ('Z', _) => return Err(invalid("timezone must be Z, ZZZZ, or ZZZZZ")),
            _ => return Err(format!("invalid date format verb \"{verb}\"")),
        };
        out.push_str(&text);
    }
    Ok(out)
}

/// `timeadd(timestamp, duration)`: the duration in Go's syntax
/// (`[-+]` then number-unit pairs, units `ns`, `us`, `µs`, `ms`, `s`, `m`,
/// `h`, fractions allowed); the result keeps the timestamp's offset.
fn timeadd(ts: &str, duration: &str) -> Result<String, String> {
    let t = Timestamp::parse(ts)?;
    let d = parse_duration(duration)?;
    let total = i128::from(t.unix) * 1_000_000_000 + i128::from(t.nanos) + d;
    let unix = i64::try_from(total.div_euclid(1_000_000_000)).map_err(|_| "time out of range".to_string())?;
    let nanos = u32::try_from(total.rem_euclid(1_000_000_000)).unwrap_or(0);
    Timestamp { unix, nanos, offset: t.offset }.rfc3339()
}

/// Go's `time.ParseDuration`, in nanoseconds (limited to an `i64`).
fn parse_duration(s: &str) -> Result<i128, String> {
    let bad = || format!("time: invalid duration \"{s}\"");
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or_default()),
        Some(b'+') => (false, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(a) => {
                let n = a.bytes().take_while(u8::is_ascii_digit).count();
                a.split_at(n)
            }
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        let unit_len = after.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("time: missing unit in duration \"{s}\"")),
            other => return Err(format!("time: unknown unit \"{other}\" in duration \"{s}\"")),
        };
        let limit = i128::from(i64::MAX) + 1;
        let whole = if int.is_empty() { 0 } else { int.parse::<i128>().map_err(|_| bad())? };
        let mut value = whole.checked_mul(scale).filter(|v| *v <= limit).ok_or_else(bad)?;
        let mut f_scale = scale;
        for c in frac.bytes() {
            f_scale /= 10;
            if f_scale == 0 {
                break;
            }
            value += i128::from(c - b'0') * f_scale;
        }
        total += value;
        if total > limit {
            return Err(bad());
        }
        rest = next;
    }
    let total = if neg { -total } else { total };
    if total > i128::from(i64::MAX) {
        return Err(bad());
    }
    Ok(total)
}

pub(super) fn formatdate_fn(args: &[Value]) -> CallResult {
    two_str(args).and_then(|(spec, ts)| formatdate(spec, ts)).map(Value::String)
}

pub(super) fn timeadd_fn(args: &[Value]) -> CallResult {
    two_str(args).and_then(|(ts, d)| timeadd(ts, d)).map(Value::String)
}

/// The clock at apply: not knowable before.
pub(super) fn timestamp(_: &[Value]) -> CallResult {
    Ok(Value::unknown("timestamp()"))
}

/// The clock at plan: not knowable offline.
pub(super) fn plantimestamp(_: &[Value]) -> CallResult {
    Ok(Value::unknown("plantimestamp()"))
}
