//! The counts behind `/stats` (SPEC §6.4): per specialist over a time range, from
//! the figures recorded per communication and the assignments, each from an index.

use crate::store::Cached;
use rusqlite::{Connection, params};

use crate::domain::StaffId;
use crate::domain::stats::{Range, Responses, Stats, StatsQuery, Tally};
use crate::error::Result;

/// The statements of a tally, for the bench's query plans.
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

/// One specialist's tally over `r`.
pub fn tally(conn: &Connection, who: StaffId, r: Range) -> Result<Tally> {
    let [taken_sql, closed_sql, first_sql, ratings_sql] = TALLY_QUERIES;
    let p = params![who, r.from, r.to];
    let taken: i64 = conn.row(taken_sql, p, |row| row.get(0))?;
    let (closed, resolutions, resolution_sum_s): (i64, i64, Option<i64>) =
        conn.row(closed_sql, p, |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    let mut stmt = conn.prepare_cached(first_sql)?;
    let first_responses = stmt
        .query_map(p, |row| Ok((row.get(0)?, 1)))?
        .collect::<Result<Vec<(i64, i64)>, _>>()?;
    // Counted here rather than sorted by SQLite (a temporary B-tree per query).
    let first_responses = Responses::from_counts(first_responses);
    let (ratings, good_ratings): (i64, i64) =
        conn.row(ratings_sql, p, |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(Tally {
        taken,
        closed,
        first_responses,
        resolution_sum_s: resolution_sum_s.unwrap_or(0),
        resolutions,
        ratings,
        good_ratings,
    })
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
    let (unassigned, oldest_unassigned): (i64, Option<i64>) = conn.row(
        "SELECT count(*), min(opened_at) FROM communications WHERE status = 'unassigned'",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok(Stats {
        days: q.days,
        rows,
        current: None,
        unassigned,
        oldest_unassigned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn every_tally_is_read_from_an_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
        let conn = store.lock();
        for sql in TALLY_QUERIES {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map(params![5, 0, 1], |r| r.get::<_, String>(3))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            assert!(
                plan.iter()
                    .all(|step| step.contains("USING COVERING INDEX")),
                "{sql}: {plan:#?}"
            );
        }
    }
}
