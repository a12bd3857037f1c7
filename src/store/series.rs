//! The web console's charts (SPEC §8 `/stats`): per UTC day, the requests opened,
//! the first responses and resolutions (their seconds, in buckets) and the ratings,
//! of one department or all, from the per-day sums of `stats_series` (migration
//! 16): a range of its primary key per series, a few thousand rows for 90 days
//! however many communications there are.

use rusqlite::{Connection, params};

use crate::domain::stats::Responses;
use crate::error::Result;

/// The statement reading one series over whole days `?2..=?3`, of department `?4`
/// (NULL: every department).
pub const SERIES_QUERY: &str = "SELECT day, bucket, n FROM stats_series
     WHERE metric = ?1 AND day BETWEEN ?2 AND ?3 AND (?4 IS NULL OR department = ?4)";

/// One UTC day's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Day {
    /// The UTC day number (unix ms ÷ 86,400,000).
    pub day: i64,
    pub opened: i64,
    /// Seconds, each rounded down to its bucket.
    pub first_responses: Responses,
    pub resolutions: Responses,
    /// How many of each rating, 1 to 5.
    pub ratings: [i64; 5],
}

/// Days `first..=last` in order, every one present (zeros where nothing happened),
/// of `department` or of all.
pub fn days(
    conn: &Connection,
    first: i64,
    last: i64,
    department: Option<&str>,
) -> Result<Vec<Day>> {
    if last < first {
        return Ok(Vec::new());
    }
    let mut out: Vec<Day> = (first..=last)
        .map(|day| Day {
            day,
            ..Day::default()
        })
        .collect();
    let mut stmt = conn.prepare_cached(SERIES_QUERY)?;
    let mut counts: Vec<Vec<(i64, i64)>> = vec![Vec::new(); out.len()];
    for metric in ["opened", "first_response", "resolution", "rating"] {
        for c in &mut counts {
            c.clear();
        }
        let rows = stmt.query_map(params![metric, first, last, department], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (day, bucket, n) = row?;
            let Some(i) = usize::try_from(day - first).ok().filter(|i| *i < out.len()) else {
                continue;
            };
            let d = &mut out[i];
            match metric {
                "opened" => d.opened += n,
                "rating" => {
                    if let Some(r) = usize::try_from(bucket - 1)
                        .ok()
                        .and_then(|r| d.ratings.get_mut(r))
                    {
                        *r += n;
                    }
                }
                _ => counts[i].push((bucket, n)),
            }
        }
        for (d, c) in out.iter_mut().zip(&counts) {
            match metric {
                "first_response" => d.first_responses = Responses::from_counts(c.clone()),
                "resolution" => d.resolutions = Responses::from_counts(c.clone()),
                _ => {}
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{customer, query_plan, test_db};

    const DAY_MS: i64 = crate::domain::stats::DAY_MS;

    #[test]
    fn a_series_is_a_range_of_the_primary_key() {
        let conn = test_db();
        for department in [None, Some("tech")] {
            let plan = query_plan(&conn, SERIES_QUERY, params!["opened", 1, 90, department]);
            assert!(
                plan.iter().all(|s| s.starts_with(
                    "SEARCH stats_series USING PRIMARY KEY (metric=? AND day>? AND day<?)"
                )),
                "{plan:#?}"
            );
        }
    }

    #[test]
    fn the_triggers_keep_each_series_by_day_and_department() {
        let conn = test_db();
        customer(&conn, 7);
        let day = 20_000;
        let at = |d: i64, s: i64| d * DAY_MS + s * 1000;
        for (id, department, opened) in [
            (1, "tech", at(day, 5)),
            (2, "billing", at(day, 9)),
            (3, "tech", at(day + 1, 1)),
        ] {
            conn.execute(
                "INSERT INTO communications (id, customer_id, status, opened_at, department)
                 VALUES (?1, 7, 'closed', ?2, ?3)",
                params![id, opened, department],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO comm_figures (communication_id, opened_at) VALUES (?1, ?2)",
                params![id, opened],
            )
            .unwrap();
        }
        // First responses and closes are recorded by updates, as the figures are.
        conn.execute(
            "UPDATE comm_figures SET first_response_at = opened_at + 90000, first_response_s = 90,
                 closed_at = opened_at + 4000000, resolution_s = 4000",
            [],
        )
        .unwrap();
        conn.execute(
            "UPDATE comm_figures SET first_response_s = 1234 WHERE communication_id = 3",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO surveys (communication_id, customer_id, asked_at, rating, rated_at)
             VALUES (1, 7, 0, 5, ?1), (2, 7, 0, 2, ?1)",
            [at(day, 100)],
        )
        .unwrap();
        // A transfer to another department's queue moves the request's count.
        conn.execute(
            "UPDATE communications SET department = 'billing' WHERE id = 3",
            [],
        )
        .unwrap();

        let all = days(&conn, day - 1, day + 1, None).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(
            all[0],
            Day {
                day: day - 1,
                ..Day::default()
            }
        );
        assert_eq!((all[1].opened, all[2].opened), (2, 1));
        assert_eq!(all[1].first_responses.counts(), [(90, 2)]);
        assert_eq!(
            all[2].first_responses.counts(),
            [(1200, 1)],
            "bucketed to 100 s"
        );
        assert_eq!(all[1].resolutions.counts(), [(4000, 2)]);
        assert_eq!(all[1].ratings, [0, 1, 0, 0, 1]);

        let tech = days(&conn, day, day + 1, Some("tech")).unwrap();
        assert_eq!((tech[0].opened, tech[1].opened), (1, 0));
        assert_eq!(tech[0].ratings, [0, 0, 0, 0, 1]);
        let billing = days(&conn, day, day + 1, Some("billing")).unwrap();
        assert_eq!((billing[0].opened, billing[1].opened), (1, 1));
        // Deleting takes away again.
        conn.execute("DELETE FROM surveys", []).unwrap();
        conn.execute("DELETE FROM comm_figures", []).unwrap();
        let after = days(&conn, day, day + 1, None).unwrap();
        assert!(after.iter().all(|d| d.ratings == [0; 5]
            && d.first_responses.is_empty()
            && d.resolutions.is_empty()));
        assert!(days(&conn, 5, 4, None).unwrap().is_empty());
    }
}
