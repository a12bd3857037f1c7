//! `/stats` (SPEC §6.4): a specialist's own figures for today and the last days, and
//! the team's for controllers, with the queue now. The store counts; this renders.

use super::{Button, CommId, Decision, Env, Key, Keyboard, Press, StaffId};
use crate::domain::texts::escape_html;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The periods `/stats` offers (days, today included).
pub const PERIODS: [u16; 2] = [7, 30];

/// A time range `[from, to]` in unix ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub from: i64,
    pub to: i64,
}

/// What the store is asked to count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatsQuery {
    /// Whose figures: one specialist's, or each of these (the team).
    pub staff: Vec<StaffId>,
    pub team: bool,
    pub today: Range,
    pub period: Range,
    pub days: u16,
    /// The queue of each department too (a team's stats, with departments).
    pub departments: bool,
}

impl StatsQuery {
    /// With the queue of each department.
    pub fn with_departments(mut self, departments: bool) -> Self {
        self.departments = departments;
        self
    }

    /// Today and the last `days` calendar days (today included) at `now`, days
    /// starting as `day_start` says (in the desk's time zone).
    pub fn new(staff: Vec<StaffId>, team: bool, days: u16, now: i64, day_start: i64) -> Self {
        StatsQuery {
            staff,
            team,
            today: Range {
                from: day_start,
                to: now,
            },
            period: Range {
                from: day_start - (i64::from(days.max(1)) - 1) * DAY_MS,
                to: now,
            },
            days,
            departments: false,
        }
    }
}

/// First responses in whole seconds, kept as how many there were of each: the
/// median stays exact however many there are, and a team's total is a merge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Responses {
    /// (seconds, how many), by seconds ascending; every count above zero.
    counts: Vec<(i64, i64)>,
}

impl Responses {
    /// These first responses, in any order.
    pub fn of(seconds: &[i64]) -> Self {
        Responses::from_counts(seconds.iter().map(|s| (*s, 1)).collect())
    }

    /// From (seconds, count) pairs in any order, a second repeated or not; counts
    /// that add up to zero or less leave no entry.
    pub fn from_counts(mut counts: Vec<(i64, i64)>) -> Self {
        counts.sort_unstable_by_key(|(s, _)| *s);
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(counts.len());
        for (s, n) in counts {
            match merged.last_mut() {
                Some((last, m)) if *last == s => *m += n,
                _ => merged.push((s, n)),
            }
        }
        merged.retain(|(_, n)| *n > 0);
        Responses { counts: merged }
    }

    /// (seconds, how many), by seconds ascending.
    pub fn counts(&self) -> &[(i64, i64)] {
        &self.counts
    }

    /// One more first response of `seconds`.
    pub fn push(&mut self, seconds: i64) {
        match self.counts.binary_search_by_key(&seconds, |(s, _)| *s) {
            Ok(i) => self.counts[i].1 += 1,
            Err(i) => self.counts.insert(i, (seconds, 1)),
        }
    }

    /// How many first responses.
    pub fn len(&self) -> i64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Their sum in seconds.
    pub fn sum(&self) -> i64 {
        self.counts.iter().map(|(s, n)| s * n).sum()
    }

    /// The `i`-th smallest (from 0), if there are that many.
    pub fn nth(&self, i: i64) -> Option<i64> {
        let mut left = i;
        for (s, n) in &self.counts {
            if left < *n {
                return Some(*s);
            }
            left -= n;
        }
        None
    }

    /// The median (of an even count, the mean of the middle two, rounded down).
    pub fn median(&self) -> Option<i64> {
        match self.len() {
            0 => None,
            n if n % 2 == 1 => self.nth(n / 2),
            n => Some((self.nth(n / 2 - 1)? + self.nth(n / 2)?) / 2),
        }
    }

    /// Add `other`'s first responses to these.
    pub fn add(&mut self, other: &Responses) {
        let mut both = Vec::with_capacity(self.counts.len() + other.counts.len());
        both.extend_from_slice(&self.counts);
        both.extend_from_slice(&other.counts);
        *self = Responses::from_counts(both);
    }
}

/// The figures of one specialist (or the team) over a range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub taken: i64,
    pub closed: i64,
    /// The first responses given in the range, in seconds.
    pub first_responses: Responses,
    pub resolution_sum_s: i64,
    pub resolutions: i64,
    pub ratings: i64,
    /// Ratings of 4 or 5.
    pub good_ratings: i64,
}

impl Tally {
    pub fn median_first_response(&self) -> Option<i64> {
        self.first_responses.median()
    }

    pub fn average_first_response(&self) -> Option<i64> {
        let n = self.first_responses.len();
        (n > 0).then(|| self.first_responses.sum() / n)
    }

    pub fn average_resolution(&self) -> Option<i64> {
        (self.resolutions > 0).then(|| self.resolution_sum_s / self.resolutions)
    }

    /// Satisfaction score: ratings of 4 or 5 ÷ all ratings, in per cent.
    pub fn score_percent(&self) -> Option<i64> {
        (self.ratings > 0).then(|| self.good_ratings * 100 / self.ratings)
    }

    /// The sum of several tallies (the team's total).
    pub fn add(&mut self, other: &Tally) {
        self.taken += other.taken;
        self.closed += other.closed;
        self.first_responses.add(&other.first_responses);
        self.resolution_sum_s += other.resolution_sum_s;
        self.resolutions += other.resolutions;
        self.ratings += other.ratings;
        self.good_ratings += other.good_ratings;
    }
}

/// What the store counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// The period's length in days (today included).
    pub days: u16,
    /// Per specialist: today and the period.
    pub rows: Vec<(StaffId, Tally, Tally)>,
    /// The current communication of the specialist asking (their own stats).
    pub current: Option<CommId>,
    /// The queue now: how many wait, and since when the oldest.
    pub unassigned: i64,
    pub oldest_unassigned: Option<i64>,
    /// With departments: each one's queue now (key, how many wait, the oldest).
    pub queues: Vec<(String, i64, Option<i64>)>,
}

/// "1 h 5 min", "3 min", "45 s", "—".
pub fn duration(seconds: Option<i64>) -> String {
    match seconds {
        None => "—".into(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3600 => format!("{} min", s / 60),
        Some(s) if s < 48 * 3600 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        Some(s) => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

fn tally_line(env: &Env<'_>, t: &Tally) -> String {
    env.texts.render(
        "stats_line",
        &[
            ("taken", &t.taken.to_string()),
            ("closed", &t.closed.to_string()),
            ("median", &duration(t.median_first_response())),
            ("average", &duration(t.average_first_response())),
            ("resolution", &duration(t.average_resolution())),
            (
                "score",
                &t.score_percent()
                    .map_or_else(|| "—".to_string(), |s| format!("{s} %")),
            ),
            ("ratings", &t.ratings.to_string()),
        ],
    )
}

fn period_keys(env: &Env<'_>, days: u16) -> Keyboard {
    Keyboard::row(
        PERIODS
            .iter()
            .filter(|d| **d != days)
            .map(|d| {
                Key::new(
                    env.texts
                        .render_plain("button_stats_days", &[("days", &d.to_string())]),
                    Button::Stats { days: *d },
                )
            })
            .collect(),
    )
}

/// Show the stats: a new message for the command, the same message edited for a
/// period button.
fn show(
    chat: super::ChatId,
    press: Option<&Press>,
    text: String,
    keys: Keyboard,
    d: &mut Decision,
) {
    if let Some(press) = press {
        d.answer(press, String::new(), false);
        if let Some((c, message)) = press.message
            && c == chat
        {
            d.send(super::Outgoing::Edit {
                chat,
                message,
                text,
                format: super::Format::Html,
                buttons: Some(keys),
            });
            return;
        }
    }
    d.say_with(chat, text, keys);
}

/// A specialist's own figures.
pub fn specialist(
    me: StaffId,
    days: u16,
    stats: &Stats,
    press: Option<&Press>,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let empty = (Tally::default(), Tally::default());
    let (today, period) = stats
        .rows
        .iter()
        .find(|(s, _, _)| *s == me)
        .map_or((&empty.0, &empty.1), |(_, t, p)| (t, p));
    let current = match stats.current {
        Some(c) => env.texts.render("stats_current", &[("id", &c.to_string())]),
        None => env.texts.render("stats_no_current", &[]),
    };
    let text = env.texts.render_html(
        "stats_specialist",
        &[
            ("name", &escape_html(&env.specialist_name(me))),
            ("today", &tally_line(env, today)),
            ("days", &days.to_string()),
            ("period", &tally_line(env, period)),
            ("current", &current),
        ],
    );
    show(me.chat(), press, text, period_keys(env, days), d);
}

/// The team's figures, for a controller.
pub fn team(
    chat: super::ChatId,
    heading: &str,
    stats: &Stats,
    press: Option<&Press>,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let mut total = Tally::default();
    let mut lines = Vec::new();
    for (staff, _, period) in &stats.rows {
        total.add(period);
        lines.push(env.texts.render_html(
            "stats_team_row",
            &[
                ("name", &escape_html(&env.specialist_name(*staff))),
                ("line", &tally_line(env, period)),
            ],
        ));
    }
    let waited = |oldest: Option<i64>| {
        oldest
            .map(|since| duration(Some((env.now - since).max(0) / 1000)))
            .unwrap_or_else(|| "—".into())
    };
    let mut text = env.texts.render_html(
        "stats_team",
        &[
            ("heading", heading),
            ("rows", &lines.join("\n")),
            ("total", &tally_line(env, &total)),
            ("unassigned", &stats.unassigned.to_string()),
            ("waiting", &escape_html(&waited(stats.oldest_unassigned))),
        ],
    );
    if env.policy.has_departments() {
        text.push_str(&departments(stats, env, &waited));
    }
    show(chat, press, text, period_keys(env, stats.days), d);
}

/// Per department: its specialists' figures over the period and its queue now.
fn departments(stats: &Stats, env: &Env<'_>, waited: &dyn Fn(Option<i64>) -> String) -> String {
    let mut out = String::from("\n\n");
    out.push_str(&env.texts.render("stats_departments", &[]));
    for dep in &env.policy.departments {
        let mut tally = Tally::default();
        for (staff, _, period) in &stats.rows {
            if dep.specialists.contains(staff) {
                tally.add(period);
            }
        }
        let (waiting, oldest) = stats
            .queues
            .iter()
            .find(|(key, _, _)| *key == dep.key)
            .map_or((0, None), |(_, n, oldest)| (*n, *oldest));
        out.push('\n');
        out.push_str(&env.texts.render_html(
            "stats_department_row",
            &[
                ("name", &escape_html(&dep.name)),
                ("line", &tally_line(env, &tally)),
                ("unassigned", &waiting.to_string()),
                ("waiting", &escape_html(&waited(oldest))),
            ],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_averages_and_scores() {
        let mut t = Tally {
            first_responses: Responses::of(&[10, 20, 60]),
            resolutions: 2,
            resolution_sum_s: 300,
            ratings: 4,
            good_ratings: 3,
            ..Tally::default()
        };
        assert_eq!(t.median_first_response(), Some(20));
        assert_eq!(t.average_first_response(), Some(30));
        assert_eq!(t.average_resolution(), Some(150));
        assert_eq!(t.score_percent(), Some(75));
        t.first_responses.push(100);
        assert_eq!(t.median_first_response(), Some(40));
        assert_eq!(Tally::default().median_first_response(), None);
        assert_eq!(Tally::default().score_percent(), None);
    }

    /// The median and average of a plain sorted list, as they were computed before
    /// first responses were kept as counts.
    fn by_list(mut v: Vec<i64>) -> (Option<i64>, Option<i64>) {
        v.sort_unstable();
        let n = v.len();
        let median = match n {
            0 => None,
            n if n % 2 == 1 => Some(v[n / 2]),
            n => Some((v[n / 2 - 1] + v[n / 2]) / 2),
        };
        let average = (n > 0).then(|| v.iter().sum::<i64>() / n as i64);
        (median, average)
    }

    proptest::proptest! {
        #[test]
        fn counted_first_responses_give_the_figures_of_the_list(
            a in proptest::collection::vec(0i64..50, 0..40),
            b in proptest::collection::vec(0i64..50, 0..40),
        ) {
            let mut t = Tally { first_responses: Responses::of(&a), ..Tally::default() };
            // A team's total merges the counts.
            t.add(&Tally { first_responses: Responses::of(&b), ..Tally::default() });
            let all: Vec<i64> = a.iter().chain(&b).copied().collect();
            let (median, average) = by_list(all.clone());
            proptest::prop_assert_eq!(t.median_first_response(), median);
            proptest::prop_assert_eq!(t.average_first_response(), average);
            proptest::prop_assert_eq!(t.first_responses.len(), all.len() as i64);
            // Pushed one by one, or given as counts with some taken away again.
            let mut pushed = Responses::default();
            for s in &all {
                pushed.push(*s);
            }
            proptest::prop_assert_eq!(&pushed, &t.first_responses);
            let mut counts: Vec<(i64, i64)> = all.iter().map(|s| (*s, 1)).collect();
            counts.extend(b.iter().map(|s| (*s, -1)));
            proptest::prop_assert_eq!(Responses::from_counts(counts), Responses::of(&a));
        }
    }

    #[test]
    fn periods_are_calendar_days_with_today_included() {
        let day_start = 10 * DAY_MS;
        let q = StatsQuery::new(vec![StaffId(5)], false, 7, day_start + 3_600_000, day_start);
        assert_eq!(q.today.from, day_start);
        assert_eq!(q.period.from, day_start - 6 * DAY_MS);
        assert_eq!(q.period.to, day_start + 3_600_000);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(None), "—");
        assert_eq!(duration(Some(45)), "45 s");
        assert_eq!(duration(Some(125)), "2 min");
        assert_eq!(duration(Some(3_900)), "1 h 5 min");
        assert_eq!(duration(Some(3 * 86_400 + 7_200)), "3 d 2 h");
    }
}
