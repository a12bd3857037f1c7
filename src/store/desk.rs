//! The core's side of the database: loading the [`Snapshot`] an action's [`Needs`]
//! ask for (applying its decision is in `apply`, deadlines in `deadlines`).

use crate::store::Cached;
use rusqlite::{Connection, OptionalExtension, params};

use super::deadlines::deadlines;
use crate::domain::needs::{Counterpart, Find, ListingQuery, LogNeed, SurveyFind};
use crate::domain::{
    ARCHIVE_PAGE, Announcement, Assignment, Canned, ChatId, Code, Codes, CommId, Communication,
    Customer, CustomerId, CustomerRow, FileNote, Listing, LogEntry, MessageId, Needs, Queued,
    Snapshot, StaffId, Status, Survey, UNASSIGNED_SHOWN, User,
};
use crate::error::Result;

/// The idle deadline is read from the deadlines table (migration 9); the column of
/// that name in `communications` is no longer used.
const COMM_COLUMNS: &str = "id, customer_id, status, specialist_id, opened_at,
     (SELECT due_at FROM deadlines d WHERE d.communication_id = communications.id AND d.kind = 'idle_close'),
     closed_at, close_reason, department, choosing";

fn comm_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Communication> {
    from_row!(r => Communication {
        id, customer_id, status, specialist_id, opened_at, idle_deadline, closed_at, close_reason,
        department, choosing
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
            "SELECT email, code_hash, created_at, expires_at, attempts, used_at IS NOT NULL, send_failed
             FROM auth_codes WHERE customer_id = ?1 ORDER BY id DESC LIMIT 1",
            [customer],
            |r| {
                from_row!(r => Code {
                    email, code_hash, created_at, expires_at, attempts, used, send_failed
                })
            },
        )
        .optional()?;
    let sent_last_hour: u32 = conn.value(
        "SELECT count(*) FROM auth_codes WHERE customer_id = ?1 AND created_at > ?2 AND send_failed = 0",
        params![customer, now - 3_600_000],
    )?;
    let last_sent_at: Option<i64> = conn.value(
        "SELECT max(created_at) FROM auth_codes WHERE customer_id = ?1 AND send_failed = 0",
        [customer],
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
    Ok(conn.rows(
        "SELECT m.at, m.role, m.sender_id, m.chat_id, m.message_id, m.kind, m.text, m.file_name,
                f.saved_name, f.status, m.id
         FROM messages m LEFT JOIN archive_files f ON f.message_row = m.id
         WHERE m.communication_id = ?1 AND m.id > ?2 ORDER BY m.id",
        params![comm, after],
        |r| {
            let file = match (r.get(8)?, r.get(9)?) {
                (Some(saved_name), Some(status)) => Some(FileNote { saved_name, status }),
                _ => None,
            };
            let entry = from_row!(r => LogEntry {
                at, role, sender_id, chat_id, message_id, kind, text, file_name; file: file
            })?;
            Ok((r.get(10)?, entry))
        },
    )?)
}

fn announcements(conn: &Connection, comm: CommId) -> Result<Vec<Announcement>> {
    Ok(conn.rows(
        "SELECT chat_id, message_id, active FROM announcements WHERE communication_id = ?1",
        [comm],
        |r| from_row!(r => Announcement { chat_id, message_id, active }),
    )?)
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
        .value(
            "SELECT copy_msg FROM message_map WHERE orig_chat = ?1 AND orig_msg = ?2 AND copy_chat = ?3
             UNION ALL
             SELECT orig_msg FROM message_map WHERE copy_chat = ?1 AND copy_msg = ?2 AND orig_chat = ?3
             LIMIT 1",
            params![chat, msg, other_chat],
        )
        .optional()?)
}

const CUSTOMER_COLUMNS: &str =
    "c.id, c.first_name, c.last_name, c.username, c.language, c.email, c.state,
     c.blocked_at IS NOT NULL, c.banned_at IS NOT NULL, c.ban_told";

fn customer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Customer> {
    let user = from_row!(r => User { id, first_name, last_name, username, language })?;
    Ok(Customer {
        user,
        email: r.get(5)?,
        state: r.get(6)?,
        blocked: r.get(7)?,
        banned: r.get(8)?,
        ban_told: r.get(9)?,
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
    Ok(conn.value(
        "SELECT EXISTS (SELECT 1 FROM customers WHERE id < ?1)",
        [id],
    )?)
}

/// Whether a customer exists with an id higher than `id`.
fn customers_after(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn.value(
        "SELECT EXISTS (SELECT 1 FROM customers WHERE id > ?1)",
        [id],
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

/// The queue: unassigned communications that are not waiting for the customer's
/// choice of department, of `departments` (a JSON array of keys) or all (`None`).
fn unassigned_listing(conn: &Connection, departments: Option<&[String]>) -> Result<Listing> {
    let departments = departments
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| crate::error::Error::Invariant(e.to_string()))?;
    const IN_QUEUE: &str = "status = 'unassigned' AND choosing = 0
         AND (?1 IS NULL OR department IN (SELECT value FROM json_each(?1)))";
    let total: i64 = conn.value(
        &format!("SELECT count(*) FROM communications WHERE {IN_QUEUE}"),
        [&departments],
    )?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COMM_COLUMNS} FROM communications WHERE {IN_QUEUE} ORDER BY opened_at, id LIMIT ?2"
    ))?;
    let comms: Vec<Communication> = stmt
        .query_map(
            params![departments, i64::try_from(UNASSIGNED_SHOWN).unwrap_or(20)],
            comm_row,
        )?
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for comm in comms {
        let Some(customer) = customer(conn, comm.customer_id)? else {
            continue;
        };
        let first_text = conn
            .value(
                "SELECT coalesce(text, kind) FROM messages WHERE communication_id = ?1 ORDER BY id LIMIT 1",
                [comm.id],
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
    Ok(conn.rows(
        "SELECT specialist_id, taken_at, released_at FROM assignments WHERE communication_id = ?1 ORDER BY rowid",
        [comm],
        |r| from_row!(r => Assignment { specialist_id, taken_at, released_at }),
    )?)
}

fn archived_count(conn: &Connection, customer: CustomerId) -> Result<i64> {
    Ok(conn.value(
        "SELECT count(*) FROM communications WHERE customer_id = ?1 AND status = 'closed'",
        [customer],
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
    Ok(conn.rows(
        "SELECT communication_id, target_chat, message_id FROM album_parts
         WHERE chat_id = ?1 AND media_group_id = ?2 ORDER BY message_id",
        params![chat, media_group_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
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
        ListingQuery::Unassigned { ref departments } => {
            unassigned_listing(conn, departments.as_deref())
        }
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
        awaiting_comment: r.get(9)?,
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

/// The specialists with an active communication, and which.
pub fn busy(conn: &Connection) -> Result<Vec<(StaffId, CommId)>> {
    Ok(conn.rows(
        "SELECT specialist_id, id FROM communications WHERE status = 'assigned' ORDER BY specialist_id",
        [], |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// The canned answers kept in the database, by key.
pub fn canned_answers(conn: &Connection) -> Result<Vec<Canned>> {
    let mut stmt =
        conn.prepare_cached("SELECT key, title, text FROM canned_answers ORDER BY key")?;
    let rows = stmt.query_map([], |r| from_row!(r => Canned { key, title, text }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Load what `needs` says: the communication (with its customer, announcements,
/// log and assignments as asked), the people, codes, copies, album and list.
pub fn load(conn: &Connection, needs: &Needs, now: i64) -> Result<Snapshot> {
    let mut snap = Snapshot::default();
    if needs.next_id {
        snap.next_communication_id =
            conn.value("SELECT coalesce(max(id), 0) + 1 FROM communications", [])?;
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
    if needs.busy {
        snap.busy = busy(conn)?;
    }
    if needs.canned {
        snap.canned = canned_answers(conn)?;
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
