//! The figures of each communication (SPEC §6.1), one row per communication, written
//! in the transaction of the change that moved them.

use crate::store::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::figures::{Figures, Span};
use crate::domain::{CommId, StaffId};
use crate::error::Result;

const COLUMNS: &str = "opened_at, taken_at, time_to_take_s, time_to_take_bs,
    first_response_at, first_response_by, first_response_s, first_response_bs,
    waiting_since, waits, wait_sum_s, wait_sum_bs, wait_max_s, wait_max_bs,
    last_specialist_at, closed_at, resolution_s, resolution_bs,
    customer_messages, specialist_messages, releases, transfers, reminders";

/// The update of an existing row: an update in place, not the delete and insert of
/// `INSERT OR REPLACE`, so that the triggers keeping the per-day sums of /stats
/// (migration 11) see the row's old values.
const UPDATE: &str = "opened_at = excluded.opened_at, taken_at = excluded.taken_at,
    time_to_take_s = excluded.time_to_take_s, time_to_take_bs = excluded.time_to_take_bs,
    first_response_at = excluded.first_response_at,
    first_response_by = excluded.first_response_by,
    first_response_s = excluded.first_response_s,
    first_response_bs = excluded.first_response_bs,
    waiting_since = excluded.waiting_since, waits = excluded.waits,
    wait_sum_s = excluded.wait_sum_s, wait_sum_bs = excluded.wait_sum_bs,
    wait_max_s = excluded.wait_max_s, wait_max_bs = excluded.wait_max_bs,
    last_specialist_at = excluded.last_specialist_at, closed_at = excluded.closed_at,
    resolution_s = excluded.resolution_s, resolution_bs = excluded.resolution_bs,
    customer_messages = excluded.customer_messages,
    specialist_messages = excluded.specialist_messages, releases = excluded.releases,
    transfers = excluded.transfers, reminders = excluded.reminders,
    closed_by = excluded.closed_by";

fn span(wall: Option<i64>, counted: Option<i64>) -> Option<Span> {
    wall.map(|wall_s| Span {
        wall_s,
        counted_s: counted,
    })
}

fn figures_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Figures> {
    Ok(Figures {
        opened_at: r.get(0)?,
        taken_at: r.get(1)?,
        time_to_take: span(r.get(2)?, r.get(3)?),
        first_response_at: r.get(4)?,
        first_response_by: r.get::<_, Option<i64>>(5)?.map(StaffId),
        first_response: span(r.get(6)?, r.get(7)?),
        waiting_since: r.get(8)?,
        waits: r.get(9)?,
        wait_sum: span(Some(r.get(10)?), r.get(11)?).unwrap_or_default(),
        wait_max: span(Some(r.get(12)?), r.get(13)?).unwrap_or_default(),
        last_specialist_at: r.get(14)?,
        closed_at: r.get(15)?,
        resolution: span(r.get(16)?, r.get(17)?),
        customer_messages: r.get(18)?,
        specialist_messages: r.get(19)?,
        releases: r.get(20)?,
        transfers: r.get(21)?,
        reminders: r.get(22)?,
    })
}

/// The figures of communication `comm`, if any were recorded.
pub fn of(conn: &Connection, comm: CommId) -> Result<Option<Figures>> {
    Ok(conn
        .row(
            &format!("SELECT {COLUMNS} FROM comm_figures WHERE communication_id = ?1"),
            [comm],
            figures_row,
        )
        .optional()?)
}

/// Most saves move only counts and waits. This updates those columns alone, of a row
/// whose columns that /stats sums (first response, close, resolution, closer) hold
/// the values saved already: it fires none of the triggers of the per-day sums and
/// leaves the indexes of first responses and closes untouched. Parameters as in
/// [`save`]'s insert.
const UPDATE_COUNTS: &str = "UPDATE comm_figures SET
        opened_at = ?2, taken_at = ?3, time_to_take_s = ?4, time_to_take_bs = ?5,
        first_response_bs = ?9, waiting_since = ?10, waits = ?11, wait_sum_s = ?12,
        wait_sum_bs = ?13, wait_max_s = ?14, wait_max_bs = ?15, last_specialist_at = ?16,
        resolution_bs = ?19, customer_messages = ?20, specialist_messages = ?21,
        releases = ?22, transfers = ?23, reminders = ?24
    WHERE communication_id = ?1
      AND first_response_at IS ?6 AND first_response_by IS ?7 AND first_response_s IS ?8
      AND closed_at IS ?17 AND resolution_s IS ?18
      AND closed_by IS CASE WHEN ?17 IS NOT NULL
                            THEN (SELECT specialist_id FROM communications WHERE id = ?1) END";

/// Store the figures of `comm`.
pub fn save(conn: &Connection, comm: CommId, f: &Figures) -> Result<()> {
    let wall = |s: Option<Span>| s.map(|s| s.wall_s);
    let counted = |s: Option<Span>| s.and_then(|s| s.counted_s);
    let p = params![
        comm,
        f.opened_at,
        f.taken_at,
        wall(f.time_to_take),
        counted(f.time_to_take),
        f.first_response_at,
        f.first_response_by,
        wall(f.first_response),
        counted(f.first_response),
        f.waiting_since,
        f.waits,
        f.wait_sum.wall_s,
        f.wait_sum.counted_s,
        f.wait_max.wall_s,
        f.wait_max.counted_s,
        f.last_specialist_at,
        f.closed_at,
        wall(f.resolution),
        counted(f.resolution),
        f.customer_messages,
        f.specialist_messages,
        f.releases,
        f.transfers,
        f.reminders,
    ];
    if conn.exec(UPDATE_COUNTS, p)? == 1 {
        return Ok(());
    }
    conn.exec(
        &format!(
            "INSERT INTO comm_figures (communication_id, {COLUMNS}, closed_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                     ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,
                     CASE WHEN ?17 IS NOT NULL
                          THEN (SELECT specialist_id FROM communications WHERE id = ?1) END)
             ON CONFLICT (communication_id) DO UPDATE SET {UPDATE}"
        ),
        p,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{test_db, unassigned_communication};

    #[test]
    fn figures_round_trip_with_unknown_counted_parts() {
        let conn = test_db();
        unassigned_communication(&conn, 3, 42);
        assert_eq!(of(&conn, CommId(3)).unwrap(), None);
        let f = Figures {
            opened_at: 1_000,
            taken_at: Some(61_000),
            time_to_take: Some(Span {
                wall_s: 60,
                counted_s: Some(30),
            }),
            first_response_by: Some(StaffId(5)),
            first_response: Some(Span {
                wall_s: 90,
                counted_s: None,
            }),
            waits: 2,
            wait_sum: Span {
                wall_s: 100,
                counted_s: Some(40),
            },
            customer_messages: 4,
            reminders: 1,
            ..Figures::default()
        };
        save(&conn, CommId(3), &f).unwrap();
        assert_eq!(of(&conn, CommId(3)).unwrap(), Some(f.clone()));
        let mut g = f;
        g.releases = 2;
        save(&conn, CommId(3), &g).unwrap();
        assert_eq!(of(&conn, CommId(3)).unwrap(), Some(g));
    }

    #[test]
    fn a_close_is_summed_once_for_its_specialist_however_often_the_figures_move() {
        let (_dir, store) = crate::store::testing::temp_store();
        let conn = store.lock();
        conn.execute(
            "INSERT INTO customers (id, first_name, created_at, updated_at) VALUES (42, 'A', 0, 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO communications (id, customer_id, status, specialist_id, opened_at)
             VALUES (3, 42, 'assigned', 5, 0)",
            [],
        )
        .unwrap();
        let sums = || -> (i64, i64, i64, i64) {
            conn.row(
                "SELECT coalesce(sum(closed), 0), coalesce(sum(resolution_sum_s), 0),
                        (SELECT coalesce(sum(n), 0) FROM stats_first_responses WHERE specialist_id = 5),
                        (SELECT closed_by FROM comm_figures WHERE communication_id = 3)
                 FROM stats_days WHERE specialist_id = 5",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, Option<i64>>(3)?.unwrap_or(0))),
            )
            .unwrap()
        };
        let mut f = Figures {
            opened_at: 1_000,
            ..Figures::default()
        };
        save(&conn, CommId(3), &f).unwrap();
        f.customer_messages = 1;
        save(&conn, CommId(3), &f).unwrap();
        assert_eq!(sums(), (0, 0, 0, 0));
        f.first_response_by = Some(StaffId(5));
        f.first_response_at = Some(31_000);
        f.first_response = Some(Span {
            wall_s: 30,
            counted_s: None,
        });
        save(&conn, CommId(3), &f).unwrap();
        f.specialist_messages = 1;
        save(&conn, CommId(3), &f).unwrap();
        assert_eq!(sums(), (0, 0, 1, 0));
        f.closed_at = Some(61_000);
        f.resolution = Some(Span {
            wall_s: 60,
            counted_s: None,
        });
        save(&conn, CommId(3), &f).unwrap();
        assert_eq!(sums(), (1, 60, 1, 5));
        f.reminders = 1;
        save(&conn, CommId(3), &f).unwrap();
        assert_eq!(of(&conn, CommId(3)).unwrap(), Some(f.clone()));
        // The same close, its resolution corrected: still one close.
        f.resolution = Some(Span {
            wall_s: 50,
            counted_s: None,
        });
        save(&conn, CommId(3), &f).unwrap();
        assert_eq!(sums(), (1, 50, 1, 5));
        assert_eq!(of(&conn, CommId(3)).unwrap(), Some(f));
    }
}
