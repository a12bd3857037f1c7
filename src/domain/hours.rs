//! Working hours (SPEC §6.2): one range of local time per weekday in an IANA zone,
//! and whole holidays. Pure: every question is answered from unix milliseconds, day
//! by day in the zone, so daylight-saving switches count the time the clock really
//! shows (a range spanning 02:00–03:00 on the spring switch is an hour shorter).
//!
//! Local times that do not exist (the hour skipped in spring) are moved to the first
//! minute that does; local times that exist twice (the hour repeated in autumn) open
//! at the earlier and close at the later instant.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// What [`WorkingHours::after_counted`] returns when the time will never have passed
/// (no day is ever open, or the moment lies beyond the year 9999): far in the future,
/// yet small enough that adding to it does not overflow.
pub const NEVER: i64 = i64::MAX / 4;

/// The latest instant worked with (9999-12-31T23:59:59.999Z); later ones are clamped.
const LAST_MS: i64 = 253_402_300_799_999;
/// The earliest instant worked with (0001-01-01T00:00:00Z).
const FIRST_MS: i64 = -62_135_596_800_000;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Working hours in a zone.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkingHours {
    pub zone: Tz,
    /// Monday to Sunday: the open range of local time, or `None` when closed. The end
    /// is after the start, except that an end of `00:00` means midnight at the end of
    /// the day (written `24:00`).
    pub days: [Option<(NaiveTime, NaiveTime)>; 7],
    /// Whole days (in the zone) closed.
    pub holidays: BTreeSet<NaiveDate>,
}

/// Parse a weekday's range, `"HH:MM-HH:MM"` (the end may be `24:00`); `""` is
/// closed (`None`). The error says what is wrong, for the key's problem.
pub fn parse_range(s: &str) -> Result<Option<(NaiveTime, NaiveTime)>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let how = format!("expected a range like \"09:00-18:00\" (or \"\" for closed), got {s:?}");
    let Some((a, b)) = t.split_once('-') else {
        return Err(how);
    };
    let (Some(start), Some(end)) = (parse_clock(a.trim(), false), parse_clock(b.trim(), true))
    else {
        return Err(how);
    };
    if end != NaiveTime::MIN && end <= start {
        return Err(format!(
            "{s:?} ends before it starts (a range cannot cross midnight: end it at 24:00)"
        ));
    }
    Ok(Some((start, end)))
}

/// `HH:MM`; `24:00` (as `00:00`) only when `end`.
fn parse_clock(s: &str, end: bool) -> Option<NaiveTime> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    if h == 24 && m == 0 && end {
        return Some(NaiveTime::MIN);
    }
    NaiveTime::from_hms_opt(h, m, 0)
}

/// Parse a holiday, `"YYYY-MM-DD"`.
pub fn parse_holiday(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("expected a date like \"2027-01-01\", got {s:?}"))
}

/// Parse an IANA time zone name such as `"Europe/Moscow"`.
pub fn parse_zone(s: &str) -> Result<Tz, String> {
    s.trim()
        .parse::<Tz>()
        .map_err(|_| format!("unknown time zone {s:?}"))
}

fn clamp(at: i64) -> i64 {
    at.clamp(FIRST_MS, LAST_MS)
}

/// The local date of an instant in `zone`.
fn local_date(zone: Tz, at: i64) -> NaiveDate {
    match zone.timestamp_millis_opt(clamp(at)) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.date_naive(),
        LocalResult::None => NaiveDate::MIN,
    }
}

/// The instant a local time shows first (`earliest`) or last; a local time that
/// does not exist becomes the first later minute that does.
fn resolve(zone: Tz, local: NaiveDateTime, earliest: bool) -> Option<i64> {
    let mut t = local;
    // Gaps are at most a day long (Samoa, 2011); look a little further.
    for _ in 0..=(26 * 60) {
        match zone.from_local_datetime(&t) {
            LocalResult::Single(x) => return Some(x.timestamp_millis()),
            LocalResult::Ambiguous(a, b) => {
                return Some(if earliest { a } else { b }.timestamp_millis());
            }
            LocalResult::None => t = t.checked_add_signed(Duration::minutes(1))?,
        }
    }
    None
}

/// The start of the calendar day of `at` in `zone` (unix ms): for stats days.
pub fn day_start(zone: Tz, at: i64) -> i64 {
    let date = local_date(zone, at);
    resolve(zone, date.and_time(NaiveTime::MIN), true).unwrap_or(at)
}

impl WorkingHours {
    /// Working hours with nothing open yet (add ranges to `days`).
    pub fn closed(zone: Tz) -> WorkingHours {
        WorkingHours {
            zone,
            days: [None; 7],
            holidays: BTreeSet::new(),
        }
    }

    /// Whether any weekday has a range (otherwise the desk never opens).
    pub fn ever_open(&self) -> bool {
        self.days.iter().any(Option::is_some)
    }

    /// The open interval `[start, end)` of a local date (unix ms), if it has one.
    fn interval(&self, date: NaiveDate) -> Option<(i64, i64)> {
        if self.holidays.contains(&date) {
            return None;
        }
        let (start, end) = self.days[date.weekday().num_days_from_monday() as usize]?;
        let from = resolve(self.zone, date.and_time(start), true)?;
        let to = if end == NaiveTime::MIN {
            resolve(self.zone, date.succ_opt()?.and_time(NaiveTime::MIN), true)?
        } else {
            resolve(self.zone, date.and_time(end), false)?
        };
        (from < to).then_some((from, to))
    }

    /// The open intervals of the days from the local day before `at` on, in order.
    fn intervals_from(&self, at: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let first = local_date(self.zone, at)
            .pred_opt()
            .unwrap_or(NaiveDate::MIN);
        first
            .iter_days()
            .take_while(|d| d.year() <= 9999)
            .filter_map(|d| self.interval(d))
    }

    /// Whether the desk is open at `at`.
    pub fn is_open(&self, at: i64) -> bool {
        let date = local_date(self.zone, at);
        [date.pred_opt(), Some(date), date.succ_opt()]
            .into_iter()
            .flatten()
            .filter_map(|d| self.interval(d))
            .any(|(s, e)| s <= at && at < e)
    }

    /// The next moment the desk opens: `at` itself when it is open; `None` when no
    /// day is ever open.
    pub fn next_opening(&self, at: i64) -> Option<i64> {
        if !self.ever_open() {
            return None;
        }
        // An open weekday is closed only by a holiday, a week at a time (one open
        // weekday, each of its next days a holiday): this many days suffice.
        let days = 7 * (self.holidays.len() + 1) + 2;
        let first = local_date(self.zone, at)
            .pred_opt()
            .unwrap_or(NaiveDate::MIN);
        first
            .iter_days()
            .take(days)
            .filter_map(|d| self.interval(d))
            .find(|&(_, e)| e > at)
            .map(|(s, _)| s.max(at))
    }

    /// The next opening (see [`next_opening`](Self::next_opening)) as the desk's
    /// people read it: `"Mon 09:00 (Europe/Moscow)"`, with the date too
    /// (`"Mon 2027-01-11 09:00 (Europe/Moscow)"`) when it is a week or more away;
    /// the day named from `day_names` (seven, Monday first, separated by spaces:
    /// the text `weekdays` of the reader's language), English where one is missing.
    pub fn format_next_opening(&self, at: i64, day_names: &str) -> Option<String> {
        let next = self.next_opening(at)?;
        let local = match self.zone.timestamp_millis_opt(next) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.naive_local(),
            LocalResult::None => return None,
        };
        let i = local.weekday().num_days_from_monday() as usize;
        let day = day_names.split_whitespace().nth(i).unwrap_or(WEEKDAYS[i]);
        let date = if next - at >= 7 * 24 * 3_600_000 {
            format!(" {}", local.format("%Y-%m-%d"))
        } else {
            String::new()
        };
        Some(format!(
            "{day}{date} {} ({})",
            local.format("%H:%M"),
            self.zone.name()
        ))
    }

    /// The milliseconds inside working hours between `from` and `to` (0 when `to` is
    /// not after `from`). Walks the days in between: a span of years costs that many
    /// days' look-ups (instants beyond the year 9999 are clamped to it).
    pub fn counted_ms(&self, from: i64, to: i64) -> i64 {
        let (from, to) = (clamp(from), clamp(to));
        if to <= from || !self.ever_open() {
            return 0;
        }
        let mut total = 0;
        for (s, e) in self.intervals_from(from) {
            if s >= to {
                break;
            }
            let (s, e) = (s.max(from), e.min(to));
            if e > s {
                total += e - s;
            }
        }
        total
    }

    /// The instant at which `ms` of working time will have passed since `from`
    /// (`from` itself when `ms` ≤ 0); [`NEVER`] when that never happens.
    pub fn after_counted(&self, from: i64, ms: i64) -> i64 {
        if ms <= 0 {
            return from;
        }
        if !self.ever_open() || from > LAST_MS || ms > LAST_MS - FIRST_MS {
            return NEVER;
        }
        let from = clamp(from);
        let mut left = ms;
        for (s, e) in self.intervals_from(from) {
            if e <= from {
                continue;
            }
            let s = s.max(from);
            if left <= e - s {
                return s + left;
            }
            left -= e - s;
        }
        NEVER
    }

    /// The start of the calendar day of `at` in the zone.
    pub fn day_start(&self, at: i64) -> i64 {
        day_start(self.zone, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const M: i64 = 60_000;

    fn ms(zone: Tz, s: &str) -> i64 {
        let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        zone.from_local_datetime(&local)
            .earliest()
            .unwrap()
            .timestamp_millis()
    }

    fn range(s: &str) -> Option<(NaiveTime, NaiveTime)> {
        parse_range(s).unwrap()
    }

    /// Mon–Fri 09:00–18:00, Saturday 10:00–14:00, Sunday closed.
    fn week(zone: Tz) -> WorkingHours {
        let mut h = WorkingHours::closed(zone);
        for d in 0..5 {
            h.days[d] = range("09:00-18:00");
        }
        h.days[5] = range("10:00-14:00");
        h
    }

    /// Open on weekday `day` (0: Monday) only, in the range `r`.
    fn one_day(zone: Tz, day: usize, r: &str) -> WorkingHours {
        let mut h = WorkingHours::closed(zone);
        h.days[day] = range(r);
        h
    }

    #[test]
    fn ranges_parse_and_bad_ones_say_why() {
        assert_eq!(parse_range("").unwrap(), None);
        assert_eq!(
            range("09:00-18:00"),
            Some((
                NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                NaiveTime::from_hms_opt(18, 0, 0).unwrap()
            ))
        );
        assert_eq!(
            range("18:00-24:00"),
            Some((NaiveTime::from_hms_opt(18, 0, 0).unwrap(), NaiveTime::MIN))
        );
        assert!(
            parse_range("22:00-06:00")
                .unwrap_err()
                .contains("ends before it starts")
        );
        assert!(
            parse_range("09:00-09:00")
                .unwrap_err()
                .contains("ends before it starts")
        );
        for bad in [
            "9-18",
            "09:00",
            "24:00-24:00",
            "09:60-18:00",
            "a-b",
            "09:00-25:00",
        ] {
            assert!(
                parse_range(bad).unwrap_err().contains("expected a range"),
                "{bad}"
            );
        }
        assert!(parse_holiday("2027-02-30").is_err());
        assert_eq!(
            parse_holiday("2027-01-01").unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert_eq!(parse_zone("Europe/Berlin").unwrap(), Tz::Europe__Berlin);
        assert_eq!(
            parse_zone("Mars/Base").unwrap_err(),
            "unknown time zone \"Mars/Base\""
        );
    }

    #[test]
    fn a_week_of_ranges() {
        let z = Tz::Europe__Moscow;
        let h = week(z);
        // 2026-12-07 is a Monday.
        assert!(!h.is_open(ms(z, "2026-12-07 08:59")));
        assert!(h.is_open(ms(z, "2026-12-07 09:00")));
        assert!(h.is_open(ms(z, "2026-12-07 17:59")));
        assert!(!h.is_open(ms(z, "2026-12-07 18:00")));
        assert!(h.is_open(ms(z, "2026-12-12 11:00")));
        assert!(!h.is_open(ms(z, "2026-12-13 11:00")));
        // Monday 00:00 to the next Monday 00:00: 5 × 9 h + 4 h.
        let mon = ms(z, "2026-12-07 00:00");
        assert_eq!(h.counted_ms(mon, mon + 7 * 24 * H), 49 * H);
        assert_eq!(h.counted_ms(mon + 7 * 24 * H, mon), 0);
        // Friday 17:30 + 1 h of work: Saturday 10:30.
        let fri = ms(z, "2026-12-11 17:30");
        assert_eq!(h.after_counted(fri, H), ms(z, "2026-12-12 10:30"));
        // Saturday 13:00 + 2 h: Monday 10:00.
        let sat = ms(z, "2026-12-12 13:00");
        assert_eq!(h.after_counted(sat, 2 * H), ms(z, "2026-12-14 10:00"));
        assert_eq!(h.counted_ms(sat, h.after_counted(sat, 2 * H)), 2 * H);
        // Within a range.
        let tue = ms(z, "2026-12-08 10:00");
        assert_eq!(h.after_counted(tue, 30 * M), tue + 30 * M);
        assert_eq!(h.after_counted(tue, 0), tue);
        // Next opening.
        assert_eq!(h.next_opening(tue), Some(tue));
        assert_eq!(
            h.next_opening(ms(z, "2026-12-12 15:00")),
            Some(ms(z, "2026-12-14 09:00"))
        );
        assert_eq!(
            h.format_next_opening(ms(z, "2026-12-12 15:00"), "")
                .unwrap(),
            "Mon 09:00 (Europe/Moscow)"
        );
        assert_eq!(h.day_start(tue), ms(z, "2026-12-08 00:00"));
    }

    #[test]
    fn a_holiday_is_closed() {
        let z = Tz::Europe__Moscow;
        let mut h = week(z);
        // Friday 2027-01-01.
        h.holidays
            .insert(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert!(!h.is_open(ms(z, "2027-01-01 12:00")));
        assert!(h.is_open(ms(z, "2026-12-31 12:00")));
        assert_eq!(
            h.counted_ms(ms(z, "2026-12-31 00:00"), ms(z, "2027-01-02 00:00")),
            9 * H
        );
        assert_eq!(
            h.next_opening(ms(z, "2026-12-31 19:00")),
            Some(ms(z, "2027-01-02 10:00"))
        );
        // Only Fridays open and the next three Fridays holidays: four weeks on.
        let mut fridays = one_day(z, 4, "09:00-18:00");
        for d in [1, 8, 15] {
            fridays
                .holidays
                .insert(NaiveDate::from_ymd_opt(2027, 1, d).unwrap());
        }
        assert_eq!(
            fridays.next_opening(ms(z, "2026-12-25 19:00")),
            Some(ms(z, "2027-01-22 09:00"))
        );
        // Holidays for more than a week: the date is shown.
        for d in 2..=14 {
            h.holidays
                .insert(NaiveDate::from_ymd_opt(2027, 1, d).unwrap());
        }
        assert_eq!(
            h.format_next_opening(ms(z, "2026-12-31 19:00"), "Пн Вт Ср Чт Пт Сб Вс")
                .unwrap(),
            "Пт 2027-01-15 09:00 (Europe/Moscow)"
        );
    }

    #[test]
    fn a_range_ending_at_midnight() {
        let z = Tz::UTC;
        let h = one_day(z, 0, "18:00-24:00");
        let mon = ms(z, "2026-12-07 00:00");
        assert!(h.is_open(ms(z, "2026-12-07 23:59")));
        assert!(!h.is_open(ms(z, "2026-12-08 00:00")));
        assert_eq!(h.counted_ms(mon, mon + 7 * 24 * H), 6 * H);
        assert_eq!(
            h.after_counted(ms(z, "2026-12-07 23:00"), 2 * H),
            ms(z, "2026-12-14 19:00")
        );
        assert_eq!(
            h.after_counted(ms(z, "2026-12-07 23:00"), H),
            ms(z, "2026-12-08 00:00")
        );
    }

    #[test]
    fn the_spring_switch_counts_an_hour_less() {
        // 2027-03-28 is the last Sunday of March: 02:00 becomes 03:00 in Berlin.
        let z = Tz::Europe__Berlin;
        let mut h = one_day(z, 6, "01:00-04:00");
        let day = ms(z, "2027-03-28 00:00");
        assert_eq!(h.counted_ms(day, day + 24 * H), 2 * H);
        assert!(h.is_open(ms(z, "2027-03-28 03:30")));
        assert_eq!(
            h.after_counted(ms(z, "2027-03-28 01:30"), H),
            ms(z, "2027-03-28 03:30")
        );
        // A range starting in the skipped hour opens when the clock jumps.
        h.days[6] = range("02:30-05:00");
        assert_eq!(h.counted_ms(day, day + 24 * H), 2 * H);
        assert_eq!(h.next_opening(day), Some(ms(z, "2027-03-28 03:00")));
        // The day itself is 23 hours long.
        assert_eq!(day_start(z, day + 23 * H), ms(z, "2027-03-29 00:00"));
        assert_eq!(day_start(z, day + 23 * H - 1), day);
    }

    #[test]
    fn the_autumn_switch_counts_an_hour_more() {
        // 2027-10-31 is the last Sunday of October: 03:00 becomes 02:00 in Berlin.
        let z = Tz::Europe__Berlin;
        let mut h = one_day(z, 6, "01:00-04:00");
        let day = ms(z, "2027-10-31 00:00");
        assert_eq!(h.counted_ms(day, day + 25 * H), 4 * H);
        assert_eq!(
            h.after_counted(ms(z, "2027-10-31 01:00"), 4 * H),
            ms(z, "2027-10-31 04:00")
        );
        // A range ending in the repeated hour closes at its second showing.
        h.days[6] = range("01:00-02:30");
        assert_eq!(h.counted_ms(day, day + 25 * H), 2 * H + 30 * M);
        assert_eq!(day_start(z, day + 25 * H), ms(z, "2027-11-01 00:00"));
    }

    #[test]
    fn never_open_saturates() {
        let h = WorkingHours::closed(Tz::UTC);
        assert!(!h.is_open(0));
        assert_eq!(h.next_opening(0), None);
        assert_eq!(h.counted_ms(0, 10 * H), 0);
        assert_eq!(h.after_counted(0, H), NEVER);
        let w = week(Tz::UTC);
        assert_eq!(w.after_counted(i64::MAX, H), NEVER);
        assert_eq!(w.after_counted(0, i64::MAX), NEVER);
        // Up to the end of time (clamped to the year 9999): long, but finite.
        assert!(w.counted_ms(0, NEVER) > 0);
        assert!(!w.is_open(i64::MIN));
        assert_eq!(day_start(Tz::UTC, 90_061_000), 86_400_000);
    }
}
