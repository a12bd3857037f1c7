//! The core's side of the database: loading the [`Snapshot`] an action's [`Needs`] ask for,
//! and applying a [`Decision`] (changes and queued effects).

use crate::store::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::needs::{Counterpart, Find, ListingQuery, LogNeed, SurveyFind};
use crate::domain::{
    ALBUM_WINDOW_MS, ARCHIVE_PAGE, Action, Announcement, Assignment, Change, ChatId, Code, Codes,
    CommId, Communication, Customer, CustomerId, CustomerRow, CustomerState, Deadline,
    DeadlineKind, Decision, Effect, FileNote, Kind, Listing, LogEntry, MessageId, Needs, Queued,
    Role, Snapshot, StaffId, Status, Survey, UNASSIGNED_SHOWN, User,
};
use crate::error::{Error, Result};
use crate::store::{mail, outbox};

/// The idle deadline is read from the deadlines table (migration 8); the column of
/// that name in `communications` is no longer used.
const COMM_COLUMNS: &str = "id, customer_id, status, specialist_id, opened_at,
     (SELECT due_at FROM deadlines d WHERE d.communication_id = communications.id AND d.kind = 'idle_close'),
     closed_at, close_reason";

fn comm_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Communication> {
    Ok(Communication {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        status: Status::parse(&r.get::<_, String>(2)?),
        specialist_id: r.get(3)?,
        opened_at: r.get(4)?,
        idle_deadline: r.get(5)?,
        closed_at: r.get(6)?,
        close_reason: r.get(7)?,
    })
}

pub fn communication(conn: &Connection, id: CommId) -> Result<Option<Communication>> {
    Ok(conn
        .row(
            &format!("SELECT {COMM_COLUMNS} FROM communications WHERE id = ?1"),
            [id],
            comm_row,
        )
        .optional()?)
}

pub fn open_communication_of(
    conn: &Connection,
    customer: CustomerId,
) -> Result<Option<Communication>> {
    Ok(conn
        .row(
            &format!("SELECT {COMM_COLUMNS} FROM communications WHERE customer_id = ?1 AND status <> 'closed'"),
            [customer],
            comm_row,
        )
        .optional()?)
}

pub fn active_communication_of(
    conn: &Connection,
    specialist: StaffId,
) -> Result<Option<Communication>> {
    Ok(conn
        .row(
            &format!("SELECT {COMM_COLUMNS} FROM communications WHERE specialist_id = ?1 AND status = 'assigned'"),
            [specialist],
            comm_row,
        )
        .optional()?)
}

pub fn customer(conn: &Connection, id: CustomerId) -> Result<Option<Customer>> {
    Ok(conn
        .row(
            &format!("SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = ?1"),
            [id],
            customer_row,
        )
        .optional()?)
}

fn codes(conn: &Connection, customer: CustomerId, now: i64) -> Result<Codes> {
    let latest = conn
        .row(
            "SELECT email, code_hash, created_at, expires_at, attempts, used_at, send_failed
             FROM auth_codes WHERE customer_id = ?1 ORDER BY id DESC LIMIT 1",
            [customer],
            |r| {
                Ok(Code {
                    email: r.get(0)?,
                    code_hash: r.get(1)?,
                    created_at: r.get(2)?,
                    expires_at: r.get(3)?,
                    attempts: r.get(4)?,
                    used: r.get::<_, Option<i64>>(5)?.is_some(),
                    send_failed: r.get::<_, i64>(6)? != 0,
                })
            },
        )
        .optional()?;
    let sent_last_hour: u32 = conn.row(
        "SELECT count(*) FROM auth_codes WHERE customer_id = ?1 AND created_at > ?2 AND send_failed = 0",
        params![customer, now - 3_600_000],
        |r| r.get(0),
    )?;
    let last_sent_at: Option<i64> = conn.row(
        "SELECT max(created_at) FROM auth_codes WHERE customer_id = ?1 AND send_failed = 0",
        [customer],
        |r| r.get(0),
    )?;
    Ok(Codes {
        latest,
        sent_last_hour,
        last_sent_at,
    })
}

pub fn log(conn: &Connection, comm: CommId) -> Result<Vec<LogEntry>> {
    Ok(log_after(conn, comm, 0)?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// The log entries after message row `after`, with their row ids.
pub fn log_after(conn: &Connection, comm: CommId, after: i64) -> Result<Vec<(i64, LogEntry)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.at, m.role, m.sender_id, m.chat_id, m.message_id, m.kind, m.text, m.file_name,
                f.saved_name, f.status, m.id
         FROM messages m LEFT JOIN archive_files f ON f.message_row = m.id
         WHERE m.communication_id = ?1 AND m.id > ?2 ORDER BY m.id",
    )?;
    let rows = stmt.query_map(params![comm, after], |r| {
        Ok((
            r.get(10)?,
            LogEntry {
                at: r.get(0)?,
                role: Role::parse(&r.get::<_, String>(1)?),
                sender_id: r.get(2)?,
                chat_id: r.get(3)?,
                message_id: r.get(4)?,
                kind: Kind::parse(&r.get::<_, String>(5)?),
                text: r.get(6)?,
                file_name: r.get(7)?,
                file: match (
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ) {
                    (Some(saved_name), Some(status)) => Some(FileNote { saved_name, status }),
                    _ => None,
                },
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn announcements(conn: &Connection, comm: CommId) -> Result<Vec<Announcement>> {
    let mut stmt = conn.prepare_cached(
        "SELECT chat_id, message_id, active FROM announcements WHERE communication_id = ?1",
    )?;
    let rows = stmt.query_map([comm], |r| {
        Ok(Announcement {
            chat_id: r.get(0)?,
            message_id: r.get(1)?,
            active: r.get::<_, i64>(2)? != 0,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The copy in `other_chat` that corresponds to message `msg` of `chat` (either its
/// copy, or the original it is a copy of).
fn counterpart(
    conn: &Connection,
    chat: ChatId,
    msg: MessageId,
    other_chat: ChatId,
) -> Result<Option<MessageId>> {
    Ok(conn
        .row(
            "SELECT copy_msg FROM message_map WHERE orig_chat = ?1 AND orig_msg = ?2 AND copy_chat = ?3
             UNION ALL
             SELECT orig_msg FROM message_map WHERE copy_chat = ?1 AND copy_msg = ?2 AND orig_chat = ?3
             LIMIT 1",
            params![chat, msg, other_chat],
            |r| r.get(0),
        )
        .optional()?)
}

const CUSTOMER_COLUMNS: &str =
    "c.id, c.first_name, c.last_name, c.username, c.language, c.email, c.state, c.blocked_at";

fn customer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        user: User {
            id: r.get(0)?,
            first_name: r.get(1)?,
            last_name: r.get(2)?,
            username: r.get(3)?,
            language: r.get(4)?,
        },
        email: r.get(5)?,
        state: CustomerState::parse(&r.get::<_, String>(6)?),
        blocked: r.get::<_, Option<i64>>(7)?.is_some(),
    })
}

/// A page of customers by id: after `after` (forwards) or before `before`
/// (backwards). Keyset pagination: a page never shifts when customers are added.
fn customers_page(
    conn: &Connection,
    after: Option<CustomerId>,
    before: Option<CustomerId>,
    size: usize,
) -> Result<Listing> {
    let limit = i64::try_from(size + 1).unwrap_or(101);
    let mut rows: Vec<Customer> = if let Some(before) = before {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id < ?1 ORDER BY c.id DESC LIMIT ?2"
        ))?;
        let mut v: Vec<Customer> = stmt
            .query_map(params![before, limit], customer_row)?
            .collect::<Result<_, _>>()?;
        let more = v.len() > size;
        v.truncate(size);
        v.reverse();
        return finish_page(conn, v, more, true);
    } else {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id > ?1 ORDER BY c.id LIMIT ?2"
        ))?;
        stmt.query_map(
            params![after.map_or(i64::MIN, |a| a.0), limit],
            customer_row,
        )?
        .collect::<Result<_, _>>()?
    };
    let has_next = rows.len() > size;
    rows.truncate(size);
    let has_prev = match rows.first() {
        Some(first) => customers_before(conn, first.user.id)?,
        None => false,
    };
    finish_page_with(conn, rows, has_prev, has_next)
}

/// Whether a customer exists with an id lower than `id`.
fn customers_before(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn.row(
        "SELECT EXISTS (SELECT 1 FROM customers WHERE id < ?1)",
        [id],
        |r| r.get(0),
    )?)
}

/// Whether a customer exists with an id higher than `id`.
fn customers_after(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn.row(
        "SELECT EXISTS (SELECT 1 FROM customers WHERE id > ?1)",
        [id],
        |r| r.get(0),
    )?)
}

fn finish_page(
    conn: &Connection,
    rows: Vec<Customer>,
    more_before: bool,
    _backwards: bool,
) -> Result<Listing> {
    let has_next = match rows.last() {
        Some(last) => customers_after(conn, last.user.id)?,
        None => false,
    };
    finish_page_with(conn, rows, more_before, has_next)
}

fn finish_page_with(
    conn: &Connection,
    rows: Vec<Customer>,
    has_prev: bool,
    has_next: bool,
) -> Result<Listing> {
    let rows = rows
        .into_iter()
        .map(|customer| {
            let open = open_communication_of(conn, customer.user.as_customer())?;
            Ok(CustomerRow { customer, open })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Listing::Customers {
        rows,
        has_prev,
        has_next,
    })
}

fn unassigned_listing(conn: &Connection) -> Result<Listing> {
    let total: i64 = conn.row(
        "SELECT count(*) FROM communications WHERE status = 'unassigned'",
        [],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COMM_COLUMNS} FROM communications WHERE status = 'unassigned' ORDER BY opened_at, id LIMIT ?1"
    ))?;
    let comms: Vec<Communication> = stmt
        .query_map([i64::try_from(UNASSIGNED_SHOWN).unwrap_or(20)], comm_row)?
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for comm in comms {
        let Some(customer) = customer(conn, comm.customer_id)? else {
            continue;
        };
        let first_text = conn
            .row(
                "SELECT coalesce(text, kind) FROM messages WHERE communication_id = ?1 ORDER BY id LIMIT 1",
                [comm.id],
                |r| r.get(0),
            )
            .optional()?;
        rows.push(Queued {
            comm,
            customer,
            first_text,
        });
    }
    Ok(Listing::Unassigned { rows, total })
}

fn archived_page(conn: &Connection, customer: CustomerId, before: CommId) -> Result<Listing> {
    let before = if before == CommId(0) {
        i64::MAX
    } else {
        before.0
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COMM_COLUMNS} FROM communications
         WHERE customer_id = ?1 AND status = 'closed' AND id < ?2 ORDER BY id DESC LIMIT ?3"
    ))?;
    let mut rows: Vec<Communication> = stmt
        .query_map(
            params![
                customer,
                before,
                i64::try_from(ARCHIVE_PAGE + 1).unwrap_or(11)
            ],
            comm_row,
        )?
        .collect::<Result<_, _>>()?;
    let has_more = rows.len() > ARCHIVE_PAGE;
    rows.truncate(ARCHIVE_PAGE);
    Ok(Listing::Archived { rows, has_more })
}

pub fn assignments(conn: &Connection, comm: CommId) -> Result<Vec<Assignment>> {
    let mut stmt = conn.prepare_cached(
        "SELECT specialist_id, taken_at, released_at FROM assignments WHERE communication_id = ?1 ORDER BY rowid",
    )?;
    let rows = stmt.query_map([comm], |r| {
        Ok(Assignment {
            specialist_id: r.get(0)?,
            taken_at: r.get(1)?,
            released_at: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn archived_count(conn: &Connection, customer: CustomerId) -> Result<i64> {
    Ok(conn.row(
        "SELECT count(*) FROM communications WHERE customer_id = ?1 AND status = 'closed'",
        [customer],
        |r| r.get(0),
    )?)
}

fn last_closed_of(conn: &Connection, customer: CustomerId) -> Result<Option<Communication>> {
    Ok(conn
        .row(
            &format!("SELECT {COMM_COLUMNS} FROM communications WHERE customer_id = ?1 AND status = 'closed' ORDER BY id DESC LIMIT 1"),
            [customer],
            comm_row,
        )
        .optional()?)
}

fn album(
    conn: &Connection,
    chat: ChatId,
    media_group_id: &str,
) -> Result<Vec<(CommId, ChatId, MessageId)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT communication_id, target_chat, message_id FROM album_parts
         WHERE chat_id = ?1 AND media_group_id = ?2 ORDER BY message_id",
    )?;
    let rows = stmt.query_map(params![chat, media_group_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The copy of a message in the other party's chat, once the communication (whose
/// other party it is) is known.
fn counterpart_in(
    conn: &Connection,
    comm: Option<&Communication>,
    c: Option<Counterpart>,
) -> Result<Option<MessageId>> {
    let (Some(comm), Some(c)) = (comm, c) else {
        return Ok(None);
    };
    let other = if c.in_customer_chat {
        Some(comm.customer_id.chat())
    } else {
        comm.specialist_id.map(StaffId::chat)
    };
    match other {
        Some(other) => counterpart(conn, c.chat, c.message, other),
        None => Ok(None),
    }
}

fn listing(conn: &Connection, query: &ListingQuery) -> Result<Listing> {
    match *query {
        ListingQuery::Unassigned => unassigned_listing(conn),
        ListingQuery::Customers {
            after,
            before,
            size,
        } => customers_page(conn, after, before, size),
        ListingQuery::Archived { customer, before } => archived_page(conn, customer, before),
    }
}

const SURVEY_COLUMNS: &str = "communication_id, customer_id, specialist_id, asked_at, message_id,
     rating, rated_at, comment, comment_until, awaiting_comment";

fn survey_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Survey> {
    Ok(Survey {
        comm: r.get(0)?,
        customer_id: r.get(1)?,
        specialist_id: r.get(2)?,
        asked_at: r.get(3)?,
        message_id: r.get(4)?,
        rating: r
            .get::<_, Option<i64>>(5)?
            .and_then(|v| u8::try_from(v).ok()),
        rated_at: r.get(6)?,
        comment: r.get(7)?,
        comment_until: r.get(8)?,
        awaiting_comment: r.get::<_, i64>(9)? != 0,
    })
}

/// The survey of a communication.
pub fn survey(conn: &Connection, comm: CommId) -> Result<Option<Survey>> {
    Ok(conn
        .row(
            &format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE communication_id = ?1"),
            [comm],
            survey_row,
        )
        .optional()?)
}

/// The customer's survey whose comment is still awaited at `now`.
fn survey_awaiting_comment(
    conn: &Connection,
    customer: CustomerId,
    now: i64,
) -> Result<Option<Survey>> {
    Ok(conn
        .row(
            &format!(
                "SELECT {SURVEY_COLUMNS} FROM surveys
                 WHERE customer_id = ?1 AND awaiting_comment = 1 AND comment_until >= ?2
                 ORDER BY rated_at DESC LIMIT 1"
            ),
            params![customer, now],
            survey_row,
        )
        .optional()?)
}

/// Load what `needs` says: the communication (with its customer, announcements,
/// log and assignments as asked), the people, codes, copies, album and list.
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

fn schedule(
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

fn unschedule(conn: &Connection, comm: CommId, kind: DeadlineKind) -> Result<()> {
    conn.exec(
        "DELETE FROM deadlines WHERE communication_id = ?1 AND kind = ?2",
        params![comm, kind.as_str()],
    )?;
    Ok(())
}

/// Drop every deadline of a communication: a Take, a release or a close ends the
/// conditions they were set for (the decision sets those that start anew).
fn unschedule_all(conn: &Connection, comm: CommId) -> Result<()> {
    conn.exec("DELETE FROM deadlines WHERE communication_id = ?1", [comm])?;
    Ok(())
}

pub fn load(conn: &Connection, needs: &Needs, now: i64) -> Result<Snapshot> {
    let mut snap = Snapshot::default();
    if needs.next_id {
        snap.next_communication_id = conn.row(
            "SELECT coalesce(max(id), 0) + 1 FROM communications",
            [],
            |r| r.get(0),
        )?;
    }
    let comm = match &needs.communication {
        None => None,
        Some(Find::Id(id)) => communication(conn, *id)?,
        Some(Find::OpenOf(customer)) => open_communication_of(conn, *customer)?,
        Some(Find::ActiveOf(specialist)) => active_communication_of(conn, *specialist)?,
        Some(Find::LastClosedOf(customer)) => last_closed_of(conn, *customer)?,
    };
    if let Some(c) = &comm {
        snap.customer = customer(conn, c.customer_id)?;
        let wants_log = match needs.log {
            LogNeed::All => true,
            LogNeed::IfUnassigned => c.status == Status::Unassigned,
        };
        if wants_log {
            snap.log = log(conn, c.id)?;
        }
        snap.announcements = announcements(conn, c.id)?;
        snap.figures = super::figures::of(conn, c.id)?;
        snap.deadlines = deadlines(conn, c.id)?;
        if needs.assignments {
            snap.assignments = assignments(conn, c.id)?;
        }
    }
    snap.reply_copy = counterpart_in(conn, comm.as_ref(), needs.reply_copy)?;
    snap.edit_copy = counterpart_in(conn, comm.as_ref(), needs.edit_copy)?;
    snap.communication = comm;
    if snap.customer.is_none()
        && let Some(id) = needs.customer
    {
        snap.customer = customer(conn, id)?;
    }
    if let Some(id) = needs.codes {
        snap.codes = codes(conn, id, now)?;
    }
    if let Some(id) = needs.actor_active {
        snap.actor_active = active_communication_of(conn, id)?.map(|c| c.id);
    }
    if let Some((chat, group)) = &needs.album {
        snap.album = album(conn, *chat, group)?;
    }
    if let Some(id) = needs.archived_count {
        snap.archived = archived_count(conn, id)?;
    }
    if let Some(query) = &needs.listing {
        snap.listing = Some(listing(conn, query)?);
    }
    if let Some(query) = &needs.stats {
        let mut stats = super::stats::load(conn, query)?;
        if !query.team {
            stats.current = snap.communication.as_ref().map(|c| c.id);
        }
        snap.stats = Some(stats);
    }
    snap.survey = match needs.survey {
        None => None,
        Some(SurveyFind::Of(comm)) => survey(conn, comm)?,
        Some(SurveyFind::AwaitingCommentOf(customer)) => {
            survey_awaiting_comment(conn, customer, now)?
        }
    };
    Ok(snap)
}

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
        Change::Log { comm, .. } => Some((*comm, false)),
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
    }
    if let Some((comm, full)) = archive_work {
        mark_dirty(conn, comm, full)?;
        return Ok(true);
    }
    Ok(false)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;
    use crate::store::Store;

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
            .row(
                "SELECT idle_deadline FROM communications WHERE id = 3",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(column, None, "the old column is no longer used");
    }
}
