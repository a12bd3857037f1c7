//! The deadlines of communications (SPEC §1.5, §6.3): one table for the timeout
//! close, the close warning and the reminder steps, read by the timer worker.

use crate::store::Cached;
use rusqlite::{Connection, params};

use crate::domain::{Action, ChatId, CommId, Deadline, DeadlineKind};
use crate::error::Result;

/// The deadlines of a communication (at most one per kind).
pub fn deadlines(conn: &Connection, comm: CommId) -> Result<Vec<Deadline>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, step, started_at, due_at FROM deadlines WHERE communication_id = ?1 ORDER BY id",
    )?;
    let mut out = Vec::new();
    for row in stmt.query_map([comm], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u32>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, Option<i64>>(3)?,
        ))
    })? {
        let (kind, step, started_at, due_at) = row?;
        // A kind this version does not know is left alone.
        if let Some(kind) = DeadlineKind::parse(&kind) {
            out.push(Deadline {
                kind,
                step,
                started_at,
                due_at,
            });
        }
    }
    Ok(out)
}

pub(super) fn schedule(
    conn: &Connection,
    comm: CommId,
    kind: DeadlineKind,
    step: u32,
    started_at: i64,
    due_at: Option<i64>,
) -> Result<()> {
    conn.exec(
        "INSERT INTO deadlines (kind, communication_id, step, started_at, due_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (communication_id, kind) DO UPDATE
             SET step = excluded.step, started_at = excluded.started_at, due_at = excluded.due_at",
        params![kind.as_str(), comm, step, started_at, due_at],
    )?;
    Ok(())
}

pub(super) fn unschedule(conn: &Connection, comm: CommId, kind: DeadlineKind) -> Result<()> {
    conn.exec(
        "DELETE FROM deadlines WHERE communication_id = ?1 AND kind = ?2",
        params![comm, kind.as_str()],
    )?;
    Ok(())
}

/// Drop every deadline of a communication: a Take, a release or a close ends the
/// conditions they were set for (the decision sets those that start anew).
pub(super) fn unschedule_all(conn: &Connection, comm: CommId) -> Result<()> {
    conn.exec("DELETE FROM deadlines WHERE communication_id = ?1", [comm])?;
    Ok(())
}

/// The next moment a timer is due: a deadline or an album window.
pub fn next_timer(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn.row(
        "SELECT min(t) FROM (
             SELECT min(due_at) AS t FROM deadlines WHERE due_at IS NOT NULL
             UNION ALL
             SELECT min(due_at) FROM album_parts)",
        [],
        |r| r.get(0),
    )?)
}

/// [`next_timer`] with the signature `Store::run` wants.
pub fn next_timer_of(conn: &mut Connection) -> Result<Option<i64>> {
    next_timer(conn)
}

/// Actions whose time has come.
pub fn due_timers(conn: &Connection, now: i64) -> Result<Vec<Action>> {
    let mut events = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT communication_id, kind FROM deadlines WHERE due_at <= ?1 ORDER BY due_at, id",
    )?;
    for row in stmt.query_map([now], |r| {
        Ok((r.get::<_, CommId>(0)?, r.get::<_, String>(1)?))
    })? {
        let (communication_id, kind) = row?;
        match DeadlineKind::parse(&kind) {
            Some(DeadlineKind::IdleClose) => events.push(Action::IdleTimeout { communication_id }),
            Some(kind) => events.push(Action::Reminder {
                communication_id,
                kind,
            }),
            None => {}
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT chat_id, media_group_id FROM album_parts GROUP BY chat_id, media_group_id HAVING max(due_at) <= ?1",
    )?;
    for row in stmt.query_map([now], |r| {
        Ok((r.get::<_, ChatId>(0)?, r.get::<_, String>(1)?))
    })? {
        let (chat_id, media_group_id) = row?;
        events.push(Action::AlbumDue {
            chat_id,
            media_group_id,
        });
    }
    Ok(events)
}
