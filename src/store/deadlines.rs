//! The deadlines of communications (SPEC §1.5, §6.3): one table for the timeout
//! close, the close warning and the reminder steps, read by the timer worker, which
//! also fires the album windows and the stalled-onboarding reminders
//! (`customers.onboarding_remind_at`, SPEC §9).

use crate::store::Cached;
use rusqlite::{Connection, params};

use crate::domain::{Action, CommId, Deadline, DeadlineKind};
use crate::error::Result;

/// The deadlines of a communication (at most one per kind).
pub fn deadlines(conn: &Connection, comm: CommId) -> Result<Vec<Deadline>> {
    let rows = conn.rows(
        "SELECT kind, step, started_at, due_at FROM deadlines WHERE communication_id = ?1 ORDER BY id",
        [comm],
        |r| {
            let kind: String = r.get(0)?;
            let (step, started_at, due_at) = (r.get(1)?, r.get(2)?, r.get(3)?);
            // A kind this version does not know is left alone.
            Ok(DeadlineKind::parse(&kind).map(|kind| Deadline {
                kind,
                step,
                started_at,
                due_at,
            }))
        },
    )?;
    Ok(rows.into_iter().flatten().collect())
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
    Ok(conn.value(
        "SELECT min(t) FROM (
             SELECT min(due_at) AS t FROM deadlines WHERE due_at IS NOT NULL
             UNION ALL
             SELECT min(due_at) FROM album_parts
             UNION ALL
             SELECT min(onboarding_remind_at) FROM customers
                 WHERE onboarding_remind_at IS NOT NULL)",
        [],
    )?)
}

/// [`next_timer`] with the signature `Store::run` wants.
pub fn next_timer_of(conn: &mut Connection) -> Result<Option<i64>> {
    next_timer(conn)
}

/// Actions whose time has come.
pub fn due_timers(conn: &Connection, now: i64) -> Result<Vec<Action>> {
    let deadlines = conn.rows(
        "SELECT communication_id, kind FROM deadlines WHERE due_at <= ?1 ORDER BY due_at, id",
        [now],
        |r| {
            let communication_id = r.get(0)?;
            let kind: String = r.get(1)?;
            Ok(match DeadlineKind::parse(&kind) {
                Some(DeadlineKind::IdleClose) => Some(Action::IdleTimeout { communication_id }),
                Some(kind) => Some(Action::Reminder {
                    communication_id,
                    kind,
                }),
                None => None,
            })
        },
    )?;
    let albums = conn.rows(
        "SELECT chat_id, media_group_id FROM album_parts GROUP BY chat_id, media_group_id HAVING max(due_at) <= ?1",
        [now],
        |r| {
            Ok(Action::AlbumDue {
                chat_id: r.get(0)?,
                media_group_id: r.get(1)?,
            })
        },
    )?;
    // Stalled onboarding (SPEC §9): the reminder due once.
    let onboarding = conn.rows(
        "SELECT id FROM customers WHERE onboarding_remind_at <= ?1 ORDER BY onboarding_remind_at, id",
        [now],
        |r| Ok(Action::OnboardingReminder { customer: r.get(0)? }),
    )?;
    Ok(deadlines
        .into_iter()
        .flatten()
        .chain(albums)
        .chain(onboarding)
        .collect())
}
