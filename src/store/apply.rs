//! Applying a [`Decision`] of the core: every change, in the transaction of the
//! action, and every effect queued (messages, mail, zips).

use crate::store::Cached;
use rusqlite::{Connection, params};

use super::deadlines::{schedule, unschedule, unschedule_all};
use crate::domain::{ALBUM_WINDOW_MS, Change, CommId, DeadlineKind, Decision, Effect, Kind};
use crate::error::{Error, Result};
use crate::store::{mail, outbox};

/// The `meta` key of the day (its start, unix ms) whose report went out last.
pub const DAILY_REPORT_KEY: &str = "daily_report_day";

/// Apply a decision: every change, then every effect queued. Returns how many
/// Telegram calls and emails were queued.
pub fn apply(conn: &Connection, decision: &Decision, now: i64) -> Result<Enqueued> {
    let mut archive = false;
    for change in &decision.changes {
        archive |= apply_change(conn, change, now)?;
    }
    let (mut calls, mut mails) = (0, 0);
    for effect in &decision.effects {
        match effect {
            Effect::Telegram(send) => {
                outbox::enqueue(conn, send, now)?;
                calls += 1;
            }
            // Only a front end other than Telegram shows it; nothing is stored.
            Effect::Feedback { .. } => {}
            Effect::Zip { comm, chat } => {
                conn.exec(
                    "INSERT INTO zip_requests (communication_id, chat_id, created_at) VALUES (?1, ?2, ?3)",
                    params![comm, chat, now],
                )?;
                archive = true;
            }
            Effect::Mail(m) => {
                mail::enqueue(conn, m, now)?;
                mails += 1;
            }
        }
    }
    Ok(Enqueued {
        calls,
        mails,
        archive,
    })
}

/// What [`apply`] queued for the workers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Enqueued {
    pub calls: usize,
    pub mails: usize,
    /// The archive has work (a transcript to rewrite, a file, a zip).
    pub archive: bool,
}

/// Mark a transcript to be written: `full` rewrites it, else new lines are appended.
pub fn mark_dirty(conn: &Connection, comm: CommId, full: bool) -> Result<()> {
    conn.exec(
        "INSERT INTO archive_dirty (communication_id, full, version) VALUES (?1, ?2, 1)
         ON CONFLICT (communication_id) DO UPDATE SET full = max(full, excluded.full), version = version + 1",
        params![comm, i64::from(full)],
    )?;
    Ok(())
}

/// The name a message's file gets under `files/`: the message id and the
/// customer's name for it (sanitised), or a name for its kind.
pub fn saved_name(message_id: i64, kind: Kind, file_name: Option<&str>) -> String {
    let fallback = match kind {
        Kind::Photo => "photo.jpg",
        Kind::Video => "video.mp4",
        Kind::Voice => "voice.ogg",
        Kind::Audio => "audio.mp3",
        Kind::Sticker => "sticker.webp",
        Kind::Animation => "animation.mp4",
        Kind::VideoNote => "video_note.mp4",
        _ => "file",
    };
    let name = file_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(fallback);
    // Sanitise the customer's name alone (so a path in it cannot swallow the
    // prefix), then the whole, to bound its length.
    let name = crate::domain::sanitize::file_name(name);
    crate::domain::sanitize::file_name(&format!("{message_id}-{name}"))
}

fn expect_one(changed: usize, what: &str) -> Result<()> {
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Invariant(what.to_string()))
    }
}

/// Apply one change; `true` if the archive has new work because of it.
fn apply_change(conn: &Connection, change: &Change, now: i64) -> Result<bool> {
    // (communication, whether its transcript's header changes)
    let archive_work = match change {
        Change::Open { id, .. }
        | Change::Assign { comm: id, .. }
        | Change::Release { comm: id }
        | Change::Close { comm: id, .. } => Some((*id, true)),
        Change::Transfer { comm, .. } => Some((*comm, true)),
        Change::Log { comm, .. } | Change::Note { comm, .. } => Some((*comm, false)),
        _ => None,
    };
    match change {
        Change::TouchCustomer { user, state_if_new } => {
            conn.exec(
                "INSERT INTO customers (id, first_name, last_name, username, language, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                 ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name,
                     last_name = excluded.last_name, username = excluded.username,
                     language = coalesce(excluded.language, language),
                     blocked_at = NULL, updated_at = excluded.updated_at",
                params![
                    user.id,
                    user.first_name,
                    user.last_name,
                    user.username,
                    user.language,
                    state_if_new.as_str(),
                    now
                ],
            )?;
        }
        Change::SetCustomerState {
            customer,
            state,
            email,
        } => {
            conn.exec(
                "UPDATE customers SET state = ?2, email = coalesce(?3, email), updated_at = ?4,
                     verified_at = CASE WHEN ?2 = 'verified' THEN coalesce(verified_at, ?4) ELSE verified_at END
                 WHERE id = ?1",
                params![customer, state.as_str(), email, now],
            )?;
        }
        Change::MarkBlocked { customer } => {
            conn.exec(
                "UPDATE customers SET blocked_at = coalesce(blocked_at, ?2) WHERE id = ?1",
                params![customer, now],
            )?;
        }
        Change::MarkReachable { customer } => {
            conn.exec(
                "UPDATE customers SET blocked_at = NULL WHERE id = ?1",
                params![customer],
            )?;
        }
        Change::GroupMoved { from, to } => super::moves::record(conn, *from, *to, now)?,
        Change::NewCode {
            customer,
            email,
            code_hash,
            expires_at,
        } => {
            conn.exec(
                "INSERT INTO auth_codes (customer_id, email, code_hash, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![customer, email, code_hash, now, expires_at],
            )?;
        }
        Change::CodeAttempt { customer } => {
            conn.exec(
                "UPDATE auth_codes SET attempts = attempts + 1
                 WHERE id = (SELECT max(id) FROM auth_codes WHERE customer_id = ?1)",
                [customer],
            )?;
        }
        Change::CodeUsed { customer } => {
            conn.exec(
                "UPDATE auth_codes SET used_at = ?2
                 WHERE id = (SELECT max(id) FROM auth_codes WHERE customer_id = ?1)",
                params![customer, now],
            )?;
        }
        Change::CodeSendFailed { customer } => {
            conn.exec(
                "UPDATE auth_codes SET send_failed = 1
                 WHERE id = (SELECT max(id) FROM auth_codes WHERE customer_id = ?1)",
                [customer],
            )?;
        }
        Change::Open { id, customer } => {
            conn.exec(
                "INSERT INTO communications (id, customer_id, status, opened_at) VALUES (?1, ?2, 'unassigned', ?3)",
                params![id, customer, now],
            )?;
        }
        Change::Log {
            comm,
            role,
            message,
        } => {
            conn.exec(
                "INSERT INTO messages (communication_id, at, role, sender_id, chat_id, message_id, kind,
                     text, file_id, file_name, media_group_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    comm,
                    now,
                    role.as_str(),
                    message.from.id,
                    message.chat_id,
                    message.message_id,
                    message.kind().as_str(),
                    message.text,
                    message.file.as_ref().map(|f| f.file_id.clone()),
                    message.file.as_ref().and_then(|f| f.file_name.clone()),
                    message.media_group_id
                ],
            )?;
            if let Some(file) = &message.file {
                let row = conn.last_insert_rowid();
                let size = file.size.and_then(|s| i64::try_from(s).ok());
                conn.exec(
                    "UPDATE messages SET file_size = ?2 WHERE id = ?1",
                    params![row, size],
                )?;
                conn.exec(
                    "INSERT INTO archive_files (communication_id, message_row, file_id, size, saved_name)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        comm,
                        row,
                        file.file_id,
                        size,
                        saved_name(message.message_id.0, message.kind(), file.file_name.as_deref())
                    ],
                )?;
            }
        }
        Change::Assign { comm, specialist } => {
            let n = conn.exec(
                "UPDATE communications SET status = 'assigned', specialist_id = ?2, assigned_at = ?3
                 WHERE id = ?1 AND status = 'unassigned'",
                params![comm, specialist, now],
            )?;
            expect_one(n, "assign an unassigned communication")?;
            unschedule_all(conn, *comm)?;
            conn.exec(
                "INSERT INTO assignments (communication_id, specialist_id, taken_at) VALUES (?1, ?2, ?3)",
                params![comm, specialist, now],
            )?;
        }
        Change::Release { comm } => {
            let n = conn.exec(
                "UPDATE communications SET status = 'unassigned', specialist_id = NULL, assigned_at = NULL
                 WHERE id = ?1 AND status = 'assigned'",
                [comm],
            )?;
            expect_one(n, "release an assigned communication")?;
            unschedule_all(conn, *comm)?;
            conn.exec(
                "UPDATE assignments SET released_at = ?2 WHERE communication_id = ?1 AND released_at IS NULL",
                params![comm, now],
            )?;
        }
        Change::Transfer { comm, from, to } => {
            // The database keeps the invariants: one active communication per
            // specialist (a busy target fails the unique index), and only the
            // holder's communication moves.
            let n = conn.exec(
                "UPDATE communications SET specialist_id = ?3, assigned_at = ?4
                 WHERE id = ?1 AND status = 'assigned' AND specialist_id = ?2",
                params![comm, from, to, now],
            )?;
            expect_one(n, "transfer a communication its sender holds")?;
            conn.exec(
                "UPDATE assignments SET released_at = ?2 WHERE communication_id = ?1 AND released_at IS NULL",
                params![comm, now],
            )?;
            conn.exec(
                "INSERT INTO assignments (communication_id, specialist_id, taken_at) VALUES (?1, ?2, ?3)",
                params![comm, to, now],
            )?;
        }
        Change::AwaitDepartment { comm } => {
            conn.exec(
                "UPDATE communications SET choosing = 1 WHERE id = ?1 AND status = 'unassigned'",
                [comm],
            )?;
        }
        Change::SetDepartment { comm, department } => {
            let n = conn.exec(
                "UPDATE communications SET department = ?2, choosing = 0 WHERE id = ?1 AND status <> 'closed'",
                params![comm, department],
            )?;
            expect_one(n, "set the department of an open communication")?;
        }
        Change::Note { comm, author, text } => {
            conn.exec(
                "INSERT INTO messages (communication_id, at, role, sender_id, chat_id, message_id, kind, text)
                 VALUES (?1, ?2, 'specialist', ?3, ?3, 0, 'note', ?4)",
                params![comm, now, author, text],
            )?;
        }
        Change::Block { customer } => {
            conn.exec(
                "UPDATE customers SET banned_at = ?2, ban_told = 0, updated_at = ?2 WHERE id = ?1",
                params![customer, now],
            )?;
        }
        Change::Unblock { customer } => {
            conn.exec(
                "UPDATE customers SET banned_at = NULL, ban_told = 0, updated_at = ?2 WHERE id = ?1",
                params![customer, now],
            )?;
        }
        Change::BlockTold { customer } => {
            conn.exec(
                "UPDATE customers SET ban_told = 1 WHERE id = ?1",
                [customer],
            )?;
        }
        Change::BlockedMessage { message } => {
            conn.exec(
                "INSERT INTO blocked_messages (customer_id, at, chat_id, message_id, kind, text, file_id, file_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    message.from.id,
                    now,
                    message.chat_id,
                    message.message_id,
                    message.kind().as_str(),
                    message.text,
                    message.file.as_ref().map(|f| f.file_id.clone()),
                    message.file.as_ref().and_then(|f| f.file_name.clone())
                ],
            )?;
        }
        Change::Close { comm, reason } => {
            let n = conn.exec(
                "UPDATE communications SET status = 'closed', closed_at = ?2, close_reason = ?3
                 WHERE id = ?1 AND status <> 'closed'",
                params![comm, now, reason],
            )?;
            expect_one(n, "close an open communication")?;
            unschedule_all(conn, *comm)?;
            conn.exec(
                "UPDATE assignments SET released_at = ?2 WHERE communication_id = ?1 AND released_at IS NULL",
                params![comm, now],
            )?;
        }
        Change::SetDeadline { comm, at } => match at {
            Some(at) => schedule(conn, *comm, DeadlineKind::IdleClose, 0, now, Some(*at))?,
            None => unschedule(conn, *comm, DeadlineKind::IdleClose)?,
        },
        Change::Schedule {
            comm,
            kind,
            step,
            started_at,
            due_at,
        } => schedule(conn, *comm, *kind, *step, *started_at, *due_at)?,
        Change::Unschedule { comm, kind } => unschedule(conn, *comm, *kind)?,
        // The hook for the response-time figures (SPEC §6.1, "reminders sent"); the
        // deadline's next step is set by its own change.
        Change::ReminderSent { .. } => {}
        Change::NewAnnouncement { comm, chat } => {
            conn.exec(
                "INSERT INTO announcements (communication_id, chat_id, message_id, active) VALUES (?1, ?2, NULL, 1)
                 ON CONFLICT (communication_id, chat_id) DO UPDATE SET message_id = NULL, active = 1",
                params![comm, chat],
            )?;
        }
        Change::AnnouncementSent {
            comm,
            chat,
            message_id,
        } => {
            conn.exec(
                "UPDATE announcements SET message_id = ?3 WHERE communication_id = ?1 AND chat_id = ?2",
                params![comm, chat, message_id],
            )?;
        }
        Change::DeactivateAnnouncements { comm } => {
            conn.exec(
                "UPDATE announcements SET active = 0 WHERE communication_id = ?1",
                [comm],
            )?;
        }
        Change::MapCopy {
            comm,
            orig_chat,
            orig_msg,
            copy_chat,
            copy_msg,
        } => {
            conn.exec(
                "INSERT INTO message_map (communication_id, orig_chat, orig_msg, copy_chat, copy_msg)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![comm, orig_chat, orig_msg, copy_chat, copy_msg],
            )?;
        }
        Change::AlbumPart {
            comm,
            chat,
            media_group_id,
            message_id,
            target,
        } => {
            let due = now + ALBUM_WINDOW_MS;
            conn.exec(
                "INSERT OR IGNORE INTO album_parts (chat_id, media_group_id, message_id, communication_id, target_chat, due_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![chat, media_group_id, message_id, comm, target, due],
            )?;
            // Each new part extends the window of the whole album.
            conn.exec(
                "UPDATE album_parts SET due_at = ?3 WHERE chat_id = ?1 AND media_group_id = ?2",
                params![chat, media_group_id, due],
            )?;
        }
        Change::RemindOnboarding { customer, at } => {
            conn.exec(
                "UPDATE customers SET onboarding_remind_at = ?2 WHERE id = ?1",
                params![customer, at],
            )?;
        }
        Change::DailyReportSent { day_start } => {
            super::meta_set(conn, DAILY_REPORT_KEY, &day_start.to_string())?;
        }
        Change::Figures { comm, figures } => {
            super::figures::save(conn, *comm, figures)?;
        }
        Change::AlbumSent {
            chat,
            media_group_id,
        } => {
            conn.exec(
                "DELETE FROM album_parts WHERE chat_id = ?1 AND media_group_id = ?2",
                params![chat, media_group_id],
            )?;
        }
        Change::NewSurvey {
            comm,
            customer,
            specialist,
        } => {
            // A communication closes once; a survey asked again keeps the first.
            conn.exec(
                "INSERT OR IGNORE INTO surveys (communication_id, customer_id, specialist_id, asked_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![comm, customer, specialist, now],
            )?;
        }
        Change::SurveySent { comm, message_id } => {
            conn.exec(
                "UPDATE surveys SET message_id = ?2 WHERE communication_id = ?1",
                params![comm, message_id],
            )?;
        }
        Change::Rate {
            comm,
            rating,
            comment_until,
        } => {
            let n = conn.exec(
                "UPDATE surveys SET rating = ?2, rated_at = ?3,
                     comment_until = coalesce(comment_until, ?4),
                     awaiting_comment = CASE WHEN ?4 IS NULL THEN awaiting_comment ELSE 1 END
                 WHERE communication_id = ?1",
                params![comm, rating, now, comment_until],
            )?;
            expect_one(n, "rate a survey")?;
        }
        Change::Comment { comm, text } => {
            conn.exec(
                "UPDATE surveys SET comment = ?2, commented_at = ?3, awaiting_comment = 0
                 WHERE communication_id = ?1",
                params![comm, text, now],
            )?;
        }
        Change::EndComment { comm } => {
            conn.exec(
                "UPDATE surveys SET awaiting_comment = 0 WHERE communication_id = ?1",
                [comm],
            )?;
        }
        Change::Audit(entry) => super::audit::insert(conn, entry, now)?,
        Change::ConsoleCode {
            staff,
            hash,
            expires_at,
        } => super::console::put_code(conn, *staff, hash, now, *expires_at)?,
        Change::StaffSeen { staff, username } => {
            super::console::staff_seen(conn, *staff, username, now)?
        }
    }
    if let Some((comm, full)) = archive_work {
        mark_dirty(conn, comm, full)?;
        return Ok(true);
    }
    // A blocked customer's message waits in its own table for the archive.
    Ok(matches!(change, Change::BlockedMessage { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Action, CustomerId, CustomerState, StaffId, Status, User};
    use crate::store::Store;
    use crate::store::deadlines::{deadlines, due_timers, next_timer};
    use crate::store::desk::communication;

    fn open(dir: &tempfile::TempDir) -> Store {
        Store::open(&dir.path().join("d.sqlite3")).unwrap()
    }

    fn apply_all(conn: &Connection, changes: Vec<Change>, now: i64) {
        let d = Decision {
            changes,
            effects: Vec::new(),
        };
        apply(conn, &d, now).unwrap();
    }

    fn open_comm(conn: &Connection, id: i64, customer: i64, now: i64) {
        apply_all(
            conn,
            vec![
                Change::TouchCustomer {
                    user: User {
                        id: customer,
                        first_name: "Ann".into(),
                        ..User::default()
                    },
                    state_if_new: CustomerState::Verified,
                },
                Change::Open {
                    id: CommId(id),
                    customer: CustomerId(customer),
                },
            ],
            now,
        );
    }

    fn schedule(id: i64, kind: DeadlineKind, step: u32, due_at: Option<i64>) -> Change {
        Change::Schedule {
            comm: CommId(id),
            kind,
            step,
            started_at: 1_000,
            due_at,
        }
    }

    /// The invariants hold in the database itself, whatever a decision says: a
    /// transfer to a busy specialist, or of a communication its sender does not
    /// hold, fails and changes nothing.
    #[test]
    fn the_database_refuses_a_transfer_that_would_break_an_invariant() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let conn = store.lock();
        open_comm(&conn, 1, 41, 1_000);
        open_comm(&conn, 2, 42, 1_000);
        let assign = |comm, who| Change::Assign {
            comm: CommId(comm),
            specialist: StaffId(who),
        };
        apply_all(&conn, vec![assign(1, 5), assign(2, 6)], 1_000);
        let transfer = |from, to| Decision {
            changes: vec![Change::Transfer {
                comm: CommId(1),
                from: StaffId(from),
                to: StaffId(to),
            }],
            ..Decision::default()
        };
        // Specialist 6 is busy with communication 2: the unique index refuses.
        assert!(apply(&conn, &transfer(5, 6), 2_000).is_err());
        // Specialist 7 does not hold communication 1.
        assert!(apply(&conn, &transfer(7, 8), 2_000).is_err());
        let holder: i64 = conn
            .value("SELECT specialist_id FROM communications WHERE id = 1", [])
            .unwrap();
        assert_eq!(holder, 5);
        // A free target takes it; the assignments follow.
        apply(&conn, &transfer(5, 8), 3_000).unwrap();
        let open: Vec<(i64, Option<i64>)> = conn
            .prepare("SELECT specialist_id, released_at FROM assignments WHERE communication_id = 1 ORDER BY taken_at")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(open, [(5, Some(3_000)), (8, None)]);
    }

    #[test]
    fn every_deadline_is_one_table_read_by_next_timer_and_due_timers() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let conn = store.lock();
        open_comm(&conn, 1, 41, 1_000);
        open_comm(&conn, 2, 42, 1_000);
        assert_eq!(next_timer(&conn).unwrap(), None);
        apply_all(
            &conn,
            vec![
                schedule(1, DeadlineKind::Unassigned, 0, Some(5_000)),
                schedule(2, DeadlineKind::Unassigned, 0, Some(4_000)),
                Change::Assign {
                    comm: CommId(2),
                    specialist: StaffId(5),
                },
                schedule(2, DeadlineKind::Unanswered, 0, Some(6_000)),
                Change::SetDeadline {
                    comm: CommId(2),
                    at: Some(3_000),
                },
                schedule(2, DeadlineKind::CloseWarning, 0, Some(2_500)),
            ],
            1_000,
        );
        // The Take dropped communication 2's unassigned step.
        let kinds: Vec<DeadlineKind> = deadlines(&conn, CommId(2))
            .unwrap()
            .into_iter()
            .map(|d| d.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                DeadlineKind::Unanswered,
                DeadlineKind::IdleClose,
                DeadlineKind::CloseWarning
            ]
        );
        assert_eq!(next_timer(&conn).unwrap(), Some(2_500));
        let comm = communication(&conn, CommId(2)).unwrap().unwrap();
        assert_eq!(
            (comm.status, comm.idle_deadline),
            (Status::Assigned, Some(3_000))
        );
        assert_eq!(
            due_timers(&conn, 5_000).unwrap(),
            [
                Action::Reminder {
                    communication_id: CommId(2),
                    kind: DeadlineKind::CloseWarning
                },
                Action::IdleTimeout {
                    communication_id: CommId(2)
                },
                Action::Reminder {
                    communication_id: CommId(1),
                    kind: DeadlineKind::Unassigned
                },
            ]
        );
        // A step replaces the one of its kind; the last one leaves a row that is
        // never due (the steps do not restart); an answer removes it.
        apply_all(
            &conn,
            vec![
                schedule(1, DeadlineKind::Unassigned, 3, None),
                Change::Unschedule {
                    comm: CommId(2),
                    kind: DeadlineKind::CloseWarning,
                },
                Change::SetDeadline {
                    comm: CommId(2),
                    at: None,
                },
            ],
            2_000,
        );
        let one = deadlines(&conn, CommId(1)).unwrap();
        assert_eq!((one.len(), one[0].step, one[0].due_at), (1, 3, None));
        assert_eq!(next_timer(&conn).unwrap(), Some(6_000));
        assert_eq!(
            due_timers(&conn, i64::MAX / 2).unwrap(),
            [Action::Reminder {
                communication_id: CommId(2),
                kind: DeadlineKind::Unanswered
            }]
        );
        // A close drops every deadline of the communication.
        apply_all(
            &conn,
            vec![Change::Close {
                comm: CommId(2),
                reason: "timeout".into(),
            }],
            3_000,
        );
        assert!(deadlines(&conn, CommId(2)).unwrap().is_empty());
        assert_eq!(next_timer(&conn).unwrap(), None);
    }

    #[test]
    fn idle_deadlines_of_an_older_database_move_into_the_deadlines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let old = Store::open_at_version(&path, 7).unwrap();
            let conn = old.lock();
            conn.exec(
                "INSERT INTO customers (id, first_name, created_at, updated_at) VALUES (42, 'Ann', 1, 1)",
                [],
            )
            .unwrap();
            conn.exec(
                "INSERT INTO communications (id, customer_id, status, specialist_id, opened_at, idle_deadline)
                 VALUES (3, 42, 'assigned', 5, 1, 9000)",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let conn = store.lock();
        assert_eq!(
            communication(&conn, CommId(3))
                .unwrap()
                .unwrap()
                .idle_deadline,
            Some(9_000)
        );
        assert_eq!(next_timer(&conn).unwrap(), Some(9_000));
        assert_eq!(
            due_timers(&conn, 9_000).unwrap(),
            [Action::IdleTimeout {
                communication_id: CommId(3)
            }]
        );
        let column: Option<i64> = conn
            .value("SELECT idle_deadline FROM communications WHERE id = 3", [])
            .unwrap();
        assert_eq!(column, None, "the old column is no longer used");
    }
}
