//! The counts behind `/stats` (SPEC §6.4): per specialist over a time range, from
//! the figures recorded per communication, the assignments and the ratings.
//!
//! Whole UTC days are read from the per-day sums that triggers keep beside those
//! rows (migration 11: `stats_days`, and `stats_first_responses` with how many first
//! responses of each number of seconds). What a range holds of a day it covers only
//! in part is read from the rows themselves, through their covering indexes: either
//! that part is added to the sums, or the day is summed whole and the part outside
//! the range taken away again, whichever spans less time before the range's end. A
//! range ends now, so the part of today after its end is empty: today costs one
//! day's sums.

use crate::store::Cached;
use rusqlite::{Connection, params};

use crate::domain::StaffId;
use crate::domain::stats::{DAY_MS, Range, Responses, Stats, StatsQuery, Tally};
use crate::error::Result;

/// The statements reading the rows themselves, for a part of a day (and the bench's
/// query plans): each from a covering index alone.
pub const TALLY_QUERIES: [&str; 4] = [
    "SELECT count(*) FROM assignments WHERE specialist_id = ?1 AND taken_at BETWEEN ?2 AND ?3",
    "SELECT count(*), count(resolution_s), sum(resolution_s) FROM comm_figures
         WHERE closed_by = ?1 AND closed_at BETWEEN ?2 AND ?3 AND closed_at IS NOT NULL",
    "SELECT first_response_s FROM comm_figures
         WHERE first_response_by = ?1 AND first_response_at BETWEEN ?2 AND ?3
           AND first_response_s IS NOT NULL",
    "SELECT count(*), coalesce(sum(rating >= 4), 0) FROM surveys
         WHERE specialist_id = ?1 AND rated_at BETWEEN ?2 AND ?3 AND rating IS NOT NULL",
];

/// The statements reading the per-day sums of whole days `?2..=?3` (UTC day
/// numbers), each a range of a primary key.
pub const DAY_QUERIES: [&str; 2] = [
    "SELECT coalesce(sum(taken), 0), coalesce(sum(closed), 0), coalesce(sum(resolutions), 0),
            coalesce(sum(resolution_sum_s), 0), coalesce(sum(ratings), 0),
            coalesce(sum(good_ratings), 0)
         FROM stats_days WHERE specialist_id = ?1 AND day BETWEEN ?2 AND ?3",
    "SELECT first_response_s, n FROM stats_first_responses
         WHERE specialist_id = ?1 AND day BETWEEN ?2 AND ?3",
];

/// How a range `[from, to]` (unix ms, both included) is read: the sums of whole
/// days `days`, plus the rows of the ranges `add`, minus those of `take`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub days: Option<(i64, i64)>,
    pub add: Vec<Range>,
    pub take: Vec<Range>,
}

/// Beyond this (about 290,000 years from 1970 either way) a range is read from the
/// rows alone, so that no day arithmetic can overflow.
const FAR: i64 = 1 << 53;

/// The plan of `r`.
pub fn plan(r: Range) -> Plan {
    if r.from > r.to {
        return Plan::default();
    }
    if r.from < -FAR || r.to > FAR {
        return Plan {
            add: vec![r],
            ..Plan::default()
        };
    }
    let first = r.from.div_euclid(DAY_MS);
    let last = r.to.div_euclid(DAY_MS);
    let start = |day: i64| day * DAY_MS;
    let end = |day: i64| start(day + 1) - 1;
    // Of the first day: before the range starts. Of the last: after it ends (the
    // future, for a range ending now).
    let before = r.from - start(first);
    let mut p = Plan::default();
    let mut first_summed = first;
    if before > DAY_MS / 2 {
        // Most of the first day is outside the range: read what is in it.
        let until = r.to.min(end(first));
        p.add.push(Range {
            from: r.from,
            to: until,
        });
        if until == r.to {
            return p;
        }
        first_summed = first + 1;
    } else if before > 0 {
        p.take.push(Range {
            from: start(first),
            to: r.from - 1,
        });
    }
    if r.to < end(last) {
        p.take.push(Range {
            from: r.to + 1,
            to: end(last),
        });
    }
    p.days = Some((first_summed, last));
    p
}

/// Counts to which rows are added or from which they are taken.
#[derive(Default)]
struct Sums {
    taken: i64,
    closed: i64,
    resolutions: i64,
    resolution_sum_s: i64,
    ratings: i64,
    good_ratings: i64,
    /// (seconds, how many; negative when taken away).
    first_responses: Vec<(i64, i64)>,
}

impl Sums {
    fn tally(self) -> Tally {
        Tally {
            taken: self.taken,
            closed: self.closed,
            first_responses: Responses::from_counts(self.first_responses),
            resolution_sum_s: self.resolution_sum_s,
            resolutions: self.resolutions,
            ratings: self.ratings,
            good_ratings: self.good_ratings,
        }
    }
}

/// Add (`sign` 1) or take away (`sign` -1) the rows of `r` themselves.
fn rows(conn: &Connection, who: StaffId, r: Range, sign: i64, sums: &mut Sums) -> Result<()> {
    let [taken_sql, closed_sql, first_sql, ratings_sql] = TALLY_QUERIES;
    let p = params![who, r.from, r.to];
    let taken: i64 = conn.row(taken_sql, p, |row| row.get(0))?;
    let (closed, resolutions, resolution_sum_s): (i64, i64, Option<i64>) =
        conn.row(closed_sql, p, |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    let mut stmt = conn.prepare_cached(first_sql)?;
    let mut found = stmt.query(p)?;
    while let Some(row) = found.next()? {
        sums.first_responses.push((row.get(0)?, sign));
    }
    let (ratings, good_ratings): (i64, i64) =
        conn.row(ratings_sql, p, |row| Ok((row.get(0)?, row.get(1)?)))?;
    sums.taken += sign * taken;
    sums.closed += sign * closed;
    sums.resolutions += sign * resolutions;
    sums.resolution_sum_s += sign * resolution_sum_s.unwrap_or(0);
    sums.ratings += sign * ratings;
    sums.good_ratings += sign * good_ratings;
    Ok(())
}

/// Add the per-day sums of days `first..=last`.
fn days(conn: &Connection, who: StaffId, first: i64, last: i64, sums: &mut Sums) -> Result<()> {
    let [counts_sql, first_sql] = DAY_QUERIES;
    let p = params![who, first, last];
    let counts: [i64; 6] = conn.row(counts_sql, p, |row| {
        Ok([
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
        ])
    })?;
    let [
        taken,
        closed,
        resolutions,
        resolution_sum_s,
        ratings,
        good_ratings,
    ] = counts;
    sums.taken += taken;
    sums.closed += closed;
    sums.resolutions += resolutions;
    sums.resolution_sum_s += resolution_sum_s;
    sums.ratings += ratings;
    sums.good_ratings += good_ratings;
    let mut stmt = conn.prepare_cached(first_sql)?;
    let mut found = stmt.query(p)?;
    while let Some(row) = found.next()? {
        sums.first_responses.push((row.get(0)?, row.get(1)?));
    }
    Ok(())
}

/// One specialist's tally over `r`.
pub fn tally(conn: &Connection, who: StaffId, r: Range) -> Result<Tally> {
    let plan = plan(r);
    let mut sums = Sums::default();
    if let Some((first, last)) = plan.days {
        days(conn, who, first, last, &mut sums)?;
    }
    for part in &plan.add {
        rows(conn, who, *part, 1, &mut sums)?;
    }
    for part in &plan.take {
        rows(conn, who, *part, -1, &mut sums)?;
    }
    Ok(sums.tally())
}

/// What `/stats` shows for `q`.
pub fn load(conn: &Connection, q: &StatsQuery) -> Result<Stats> {
    let mut rows = Vec::with_capacity(q.staff.len());
    for who in &q.staff {
        rows.push((
            *who,
            tally(conn, *who, q.today)?,
            tally(conn, *who, q.period)?,
        ));
    }
    // The queue: not the requests still waiting for the customer's department.
    let (unassigned, oldest_unassigned): (i64, Option<i64>) = conn.row(
        "SELECT count(*), min(opened_at) FROM communications
         WHERE status = 'unassigned' AND choosing = 0",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let queues = if q.departments {
        conn.rows(
            "SELECT department, count(*), min(opened_at) FROM communications
             WHERE status = 'unassigned' AND choosing = 0 GROUP BY department",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?
    } else {
        Vec::new()
    };
    Ok(Stats {
        days: q.days,
        rows,
        current: None,
        unassigned,
        oldest_unassigned,
        queues,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::CommId;
    use crate::domain::figures::{Figures, Span};
    use crate::store::Store;
    use crate::store::testing::{query_plan, test_db};

    #[test]
    fn every_tally_is_read_from_an_index_alone() {
        let conn = test_db();
        for sql in TALLY_QUERIES {
            let plan = query_plan(&conn, sql, params![5, 0, 1]);
            assert!(
                plan.iter()
                    .all(|step| step.contains("USING COVERING INDEX")),
                "{sql}: {plan:#?}"
            );
        }
        // The sums of whole days: a range of the primary key, one specialist's days.
        for sql in DAY_QUERIES {
            let plan = query_plan(&conn, sql, params![5, 0, 1]);
            assert!(
                plan.iter().all(|step| step.starts_with("SEARCH ")
                    && step.contains("USING PRIMARY KEY (specialist_id=? AND day>? AND day<?)")),
                "{sql}: {plan:#?}"
            );
        }
    }

    /// How many of the plan's pieces hold the instant `t`: days, and rows added
    /// or taken away.
    fn weight(p: &Plan, t: i64) -> i64 {
        let inside = |r: &Range| i64::from(r.from <= t && t <= r.to);
        let day = p.days.map_or(0, |(a, b)| {
            i64::from((a..=b).contains(&t.div_euclid(DAY_MS)))
        });
        day + p.add.iter().map(inside).sum::<i64>() - p.take.iter().map(inside).sum::<i64>()
    }

    proptest::proptest! {
        #[test]
        fn a_plan_counts_every_instant_of_its_range_once_and_no_other(
            from in -3 * DAY_MS..4 * DAY_MS,
            len in -10i64..3 * DAY_MS,
        ) {
            let r = Range { from, to: from + len };
            let p = plan(r);
            // The counts only change at the ends of the pieces: look at each end,
            // on both sides.
            let mut ends = vec![r.from, r.to];
            for piece in p.add.iter().chain(&p.take) {
                ends.extend([piece.from, piece.to]);
            }
            if let Some((a, b)) = p.days {
                ends.extend([a * DAY_MS, (b + 1) * DAY_MS - 1]);
            }
            for end in ends {
                for t in [end - 1, end, end + 1] {
                    let expected = i64::from(r.from <= t && t <= r.to);
                    proptest::prop_assert_eq!(weight(&p, t), expected, "{:?} at {}: {:?}", r, t, p);
                }
            }
            // Rows are read for at most half a day up to the range's end (the rest
            // is after it: the future, for a range ending now).
            let read: i64 = p
                .add
                .iter()
                .chain(&p.take)
                .map(|piece| (piece.to.min(r.to) - piece.from + 1).max(0))
                .sum();
            proptest::prop_assert!(read <= DAY_MS / 2, "{:?}: {:?}", r, p);
        }
    }

    #[test]
    fn plans_of_whole_days_read_the_sums_alone() {
        let day = 20_000;
        let whole = Range {
            from: day * DAY_MS,
            to: (day + 30) * DAY_MS - 1,
        };
        assert_eq!(
            plan(whole),
            Plan {
                days: Some((day, day + 29)),
                ..Plan::default()
            }
        );
        // Today so far: the day's sums less what comes after now.
        let now = day * DAY_MS + 5 * 3_600_000;
        let today = plan(Range {
            from: day * DAY_MS,
            to: now,
        });
        assert_eq!(today.days, Some((day, day)));
        assert_eq!(
            today.take,
            vec![Range {
                from: now + 1,
                to: (day + 1) * DAY_MS - 1
            }]
        );
        assert!(today.add.is_empty());
        // A day starting at 21:00 UTC (Moscow): its first three hours read as rows.
        let moscow = plan(Range {
            from: day * DAY_MS - 3 * 3_600_000,
            to: now,
        });
        assert_eq!(moscow.days, Some((day, day)));
        assert_eq!(
            moscow.add,
            vec![Range {
                from: day * DAY_MS - 3 * 3_600_000,
                to: day * DAY_MS - 1
            }]
        );
        assert_eq!(plan(Range { from: 5, to: 4 }), Plan::default());
        let far = Range {
            from: -FAR - 1,
            to: 0,
        };
        assert_eq!(plan(far).add, vec![far]);
    }

    /// A small deterministic generator (splitmix64).
    struct Dice(u64);

    impl Dice {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: i64) -> i64 {
            i64::try_from(self.next() % n.unsigned_abs()).unwrap()
        }

        /// An instant in the ten days around the epoch (some before it).
        fn time(&mut self) -> i64 {
            self.below(10 * DAY_MS) - 3 * DAY_MS
        }

        fn maybe<T>(&mut self, value: T) -> Option<T> {
            (self.below(4) > 0).then_some(value)
        }
    }

    const STAFF: [i64; 3] = [501, 502, 503];

    /// The tally of `r` read from the rows alone, as /stats read it before the
    /// per-day sums.
    fn from_rows(conn: &Connection, who: StaffId, r: Range) -> Tally {
        let mut sums = Sums::default();
        if r.from <= r.to {
            rows(conn, who, r, 1, &mut sums).unwrap();
        }
        sums.tally()
    }

    /// Per (specialist, day): taken, closed, resolutions, their sum, ratings, good ones.
    type DaySums = BTreeMap<(i64, i64), [i64; 6]>;
    /// Per (specialist, day, seconds): how many first responses.
    type FirstCounts = BTreeMap<(i64, i64, i64), i64>;

    /// The per-day sums as the rows tell them, added up here in Rust.
    fn expected_sums(conn: &Connection) -> (DaySums, FirstCounts) {
        let mut days = DaySums::new();
        let day = |t: i64| t.div_euclid(DAY_MS);
        let all = |sql: &str| -> Vec<[Option<i64>; 4]> {
            conn.prepare(sql)
                .unwrap()
                .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        for [who, at, _, _] in all("SELECT specialist_id, taken_at, NULL, NULL FROM assignments") {
            days.entry((who.unwrap(), day(at.unwrap()))).or_default()[0] += 1;
        }
        for [who, at, resolution, _] in
            all("SELECT closed_by, closed_at, resolution_s, NULL FROM comm_figures")
        {
            if let (Some(who), Some(at)) = (who, at) {
                let e = days.entry((who, day(at))).or_default();
                e[1] += 1;
                e[2] += i64::from(resolution.is_some());
                e[3] += resolution.unwrap_or(0);
            }
        }
        for [who, at, rating, _] in all("SELECT specialist_id, rated_at, rating, NULL FROM surveys")
        {
            if let (Some(who), Some(at), Some(rating)) = (who, at, rating) {
                let e = days.entry((who, day(at))).or_default();
                e[4] += 1;
                e[5] += i64::from(rating >= 4);
            }
        }
        let mut firsts = FirstCounts::new();
        for [who, at, s, _] in all(
            "SELECT first_response_by, first_response_at, first_response_s, NULL FROM comm_figures",
        ) {
            if let (Some(who), Some(at), Some(s)) = (who, at, s) {
                *firsts.entry((who, day(at), s)).or_default() += 1;
            }
        }
        (days, firsts)
    }

    /// The per-day sums kept in the database equal those the rows tell, and every
    /// tally read through them equals the one read from the rows alone.
    fn check(conn: &Connection, dice: &mut Dice) {
        let (days, firsts) = expected_sums(conn);
        let kept: DaySums = conn
            .prepare(
                "SELECT specialist_id, day, taken, closed, resolutions, resolution_sum_s, ratings, good_ratings
                 FROM stats_days",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((
                    (r.get(0)?, r.get(1)?),
                    [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
                ))
            })
            .unwrap()
            .map(|r| r.unwrap())
            // A day whose rows all went away may stay, at zero.
            .filter(|(_, sums)| *sums != [0; 6])
            .collect();
        assert_eq!(kept, days);
        let kept_firsts: FirstCounts = conn
            .prepare("SELECT specialist_id, day, first_response_s, n FROM stats_first_responses")
            .unwrap()
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(kept_firsts, firsts);
        let mut ranges = vec![
            Range {
                from: -3 * DAY_MS,
                to: 7 * DAY_MS,
            },
            Range {
                from: 0,
                to: DAY_MS - 1,
            },
            Range {
                from: -DAY_MS - 3 * 3_600_000,
                to: 2 * DAY_MS + 1,
            },
        ];
        for _ in 0..40 {
            let from = dice.time();
            ranges.push(Range {
                from,
                to: from + dice.below(4 * DAY_MS),
            });
        }
        let mut seen = Tally::default();
        for r in ranges {
            for who in STAFF {
                let t = tally(conn, StaffId(who), r).unwrap();
                assert_eq!(t, from_rows(conn, StaffId(who), r), "{who} over {r:?}");
                seen.add(&t);
            }
        }
        // Not a comparison of nothing with nothing.
        assert!(
            seen.taken > 100
                && seen.closed > 100
                && seen.resolutions > 100
                && seen.first_responses.len() > 100
                && seen.ratings > 50
                && seen.good_ratings > 20,
            "{seen:?}"
        );
    }

    /// Communications, figures, assignments and ratings written, changed and some
    /// deleted again, in the ways the service writes them (figures through
    /// `figures::save`) and in others.
    fn churn(
        conn: &Connection,
        dice: &mut Dice,
        ids: std::ops::Range<i64>,
        with_figures_save: bool,
    ) {
        for id in ids.clone() {
            let who = STAFF[usize::try_from(dice.below(3)).unwrap()];
            let opened_at = dice.time();
            conn.execute(
                "INSERT INTO communications (id, customer_id, status, specialist_id, opened_at)
                 VALUES (?1, 42, 'closed', ?2, ?3)",
                params![id, who, opened_at],
            )
            .unwrap();
            let first_s = dice.below(30);
            let answering = STAFF[usize::try_from(dice.below(3)).unwrap()];
            let closed_after = dice.below(2 * DAY_MS);
            let closed_at = dice.maybe(opened_at + closed_after);
            let f = Figures {
                opened_at,
                first_response_by: dice.maybe(StaffId(answering)),
                first_response_at: dice.maybe(opened_at + first_s * 1000),
                first_response: dice.maybe(Span {
                    wall_s: first_s,
                    counted_s: None,
                }),
                closed_at,
                resolution: closed_at.and_then(|c| {
                    dice.maybe(Span {
                        wall_s: (c - opened_at) / 1000,
                        counted_s: None,
                    })
                }),
                ..Figures::default()
            };
            if with_figures_save {
                crate::store::figures::save(conn, CommId(id), &f).unwrap();
            } else {
                conn.execute(
                    "INSERT INTO comm_figures (communication_id, opened_at, first_response_by,
                         first_response_at, first_response_s, closed_at, closed_by, resolution_s)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?6 IS NOT NULL THEN ?7 END, ?8)",
                    params![
                        id,
                        f.opened_at,
                        f.first_response_by,
                        f.first_response_at,
                        f.first_response.map(|s| s.wall_s),
                        f.closed_at,
                        who,
                        f.resolution.map(|s| s.wall_s)
                    ],
                )
                .unwrap();
            }
            for _ in 0..dice.below(3) {
                let holder = STAFF[usize::try_from(dice.below(3)).unwrap()];
                conn.execute(
                    "INSERT INTO assignments (communication_id, specialist_id, taken_at) VALUES (?1, ?2, ?3)",
                    params![id, holder, opened_at + dice.below(DAY_MS)],
                )
                .unwrap();
            }
            if dice.below(2) == 0 {
                let at = dice.time();
                let rated = dice.maybe(at);
                conn.execute(
                    "INSERT INTO surveys (communication_id, customer_id, specialist_id, asked_at, rating, rated_at)
                     VALUES (?1, 42, ?2, 0, ?3, ?4)",
                    params![id, dice.maybe(who), rated.map(|_| 1 + dice.below(5)), rated],
                )
                .unwrap();
            }
            // Later: the figures move on (a first response, a close), the same
            // way the service saves them.
            if with_figures_save && dice.below(2) == 0 {
                let mut g = f.clone();
                g.customer_messages += 1;
                if dice.below(2) == 0 {
                    let s = dice.below(30);
                    g.first_response_by = Some(StaffId(who));
                    g.first_response_at = Some(opened_at + DAY_MS / 2 + s * 1000);
                    g.first_response = Some(Span {
                        wall_s: s,
                        counted_s: None,
                    });
                }
                if dice.below(2) == 0 {
                    g.closed_at = Some(opened_at + dice.below(3 * DAY_MS));
                    let wall_s = dice.below(1000);
                    g.resolution = dice.maybe(Span {
                        wall_s,
                        counted_s: None,
                    });
                }
                crate::store::figures::save(conn, CommId(id), &g).unwrap();
            }
        }
        // Ratings changed, takes moved, rows deleted.
        for id in ids {
            match dice.below(8) {
                0 => {
                    conn.execute(
                        "UPDATE surveys SET rating = ?2, rated_at = ?3 WHERE communication_id = ?1",
                        params![id, 1 + dice.below(5), dice.time()],
                    )
                    .unwrap();
                }
                1 => {
                    conn.execute(
                        "UPDATE assignments SET taken_at = ?2, specialist_id = ?3 WHERE communication_id = ?1",
                        params![id, dice.time(), STAFF[usize::try_from(dice.below(3)).unwrap()]],
                    )
                    .unwrap();
                }
                2 => {
                    conn.execute("DELETE FROM assignments WHERE communication_id = ?1", [id])
                        .unwrap();
                    conn.execute("DELETE FROM surveys WHERE communication_id = ?1", [id])
                        .unwrap();
                }
                3 => {
                    conn.execute("DELETE FROM comm_figures WHERE communication_id = ?1", [id])
                        .unwrap();
                }
                4 => {
                    conn.execute(
                        "UPDATE comm_figures SET first_response_s = NULL, resolution_s = resolution_s + 7
                         WHERE communication_id = ?1",
                        [id],
                    )
                    .unwrap();
                }
                _ => {}
            }
        }
    }

    fn customer(conn: &Connection) {
        conn.execute(
            "INSERT INTO customers (id, first_name, created_at, updated_at) VALUES (42, 'A', 0, 0)",
            [],
        )
        .unwrap();
    }

    #[test]
    fn the_per_day_sums_follow_every_write_and_give_the_tallies_of_the_rows() {
        let conn = test_db();
        customer(&conn);
        let mut dice = Dice(11);
        churn(&conn, &mut dice, 1..300, true);
        check(&conn, &mut dice);
        churn(&conn, &mut dice, 300..400, false);
        check(&conn, &mut dice);
    }

    #[test]
    fn the_per_day_sums_of_an_older_database_are_added_up_when_it_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let mut dice = Dice(7);
        {
            let old = Store::open_at_version(&path, 10).unwrap();
            let conn = old.lock();
            customer(&conn);
            // Version 10 has no triggers: these rows are known to the sums only
            // through the migration.
            churn(&conn, &mut dice, 1..300, false);
            let n: i64 = conn
                .value(
                    "SELECT count(*) FROM comm_figures WHERE closed_by IS NOT NULL",
                    [],
                )
                .unwrap();
            assert!(n > 50, "{n}");
        }
        let store = Store::open(&path).unwrap();
        let conn = store.lock();
        let days: i64 = conn
            .row("SELECT count(*) FROM stats_days", [], |r| r.get(0))
            .unwrap();
        assert!(days > 10, "{days}");
        check(&conn, &mut dice);
        // And they are kept from then on.
        churn(&conn, &mut dice, 300..400, true);
        check(&conn, &mut dice);
    }
}
