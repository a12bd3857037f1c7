//! The counts behind `/stats` (SPEC §6.4): per specialist over a time range, from
//! the figures recorded per communication and the assignments, each from an index.

use crate::store::Cached;
use rusqlite::{Connection, params};

use crate::domain::StaffId;
use crate::domain::stats::{Range, Stats, StatsQuery, Tally};
use crate::error::Result;

/// One specialist's tally over `r`.
pub fn tally(conn: &Connection, who: StaffId, r: Range) -> Result<Tally> {
    let taken: i64 = conn.row(
        "SELECT count(*) FROM assignments WHERE specialist_id = ?1 AND taken_at BETWEEN ?2 AND ?3",
        params![who, r.from, r.to],
        |row| row.get(0),
    )?;
    let (closed, resolutions, resolution_sum_s): (i64, i64, Option<i64>) = conn.row(
        "SELECT count(*), count(f.resolution_s), sum(f.resolution_s)
         FROM communications c LEFT JOIN comm_figures f ON f.communication_id = c.id
         WHERE c.status = 'closed' AND c.specialist_id = ?1 AND c.closed_at BETWEEN ?2 AND ?3",
        params![who, r.from, r.to],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT first_response_s FROM comm_figures
         WHERE first_response_by = ?1 AND first_response_at BETWEEN ?2 AND ?3
           AND first_response_s IS NOT NULL
         ORDER BY first_response_s",
    )?;
    let first_responses = stmt
        .query_map(params![who, r.from, r.to], |row| row.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    let csat = super::csat::figures(
        conn,
        // The range includes its end; the survey span does not.
        super::csat::Span {
            from: r.from,
            to: r.to + 1,
        },
        Some(who),
    )?;
    Ok(Tally {
        taken,
        closed,
        first_responses,
        resolution_sum_s: resolution_sum_s.unwrap_or(0),
        resolutions,
        ratings: csat.ratings,
        good_ratings: csat.good,
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
