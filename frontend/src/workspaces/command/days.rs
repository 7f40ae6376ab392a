//! Calendar days without a date library: a day is its number since 1970-01-01, printed and
//! parsed as `YYYY-MM-DD` (the API's form; days are Asia/Shanghai days there).

/// A calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i64);

impl Day {
    /// From a year, month (1–12) and day (1–31).
    #[must_use]
    pub fn from_ymd(y: i64, m: i64, d: i64) -> Day {
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Day(era * 146_097 + doe - 719_468)
    }

    /// (year, month, day).
    #[must_use]
    pub fn ymd(self) -> (i64, i64, i64) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }

    /// Parses `YYYY-MM-DD` (also the date part of an RFC 3339 date-time).
    #[must_use]
    pub fn parse(s: &str) -> Option<Day> {
        let s = s.get(..10)?;
        let mut it = s.split('-');
        let (y, m, d) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        let day = Day::from_ymd(y, m, d);
        (day.ymd() == (y, m, d)).then_some(day)
    }

    /// `n` days later (earlier when negative).
    #[must_use]
    pub fn plus(self, n: i64) -> Day {
        Day(self.0 + n)
    }

    /// Today in Asia/Shanghai (UTC+8), from milliseconds since the epoch.
    #[must_use]
    pub fn shanghai_today(epoch_ms: f64) -> Day {
        Day(((epoch_ms / 1000.0 + 8.0 * 3600.0) / 86_400.0).floor() as i64)
    }

    /// `MM-DD`, for chart axes and the slider.
    #[must_use]
    pub fn short(self) -> String {
        let (_, m, d) = self.ymd();
        format!("{m:02}-{d:02}")
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Day(0));
        assert_eq!(Day::parse("2026-12-01").map(|d| d.to_string()), Some("2026-12-01".into()));
        assert_eq!(Day::parse("2024-02-29").map(|d| d.plus(1).to_string()), Some("2024-03-01".into()));
        assert_eq!(Day::parse("2026-02-29"), None);
        assert_eq!(Day::parse("2026-11-30T16:00:00+00:00").map(|d| d.to_string()), Some("2026-11-30".into()));
        assert_eq!(Day::parse("junk"), None);
        for n in [-800_000, -1, 0, 1, 20_000, 21_000, 800_000] {
            assert_eq!(Day::parse(&Day(n).to_string()), Some(Day(n)));
        }
        // 2026-11-30T16:30Z is 2026-12-01 in Shanghai.
        let ms = 1_796_056_200_000.0;
        assert_eq!(Day::shanghai_today(ms).to_string(), "2026-12-01");
        assert_eq!(Day::parse("2026-03-07").map(Day::short), Some("03-07".into()));
    }
}
