//! Schema migrations, applied in order at start. Never edit a released migration:
//! add a new one, so that a database from an older version migrates forward.

use rusqlite_migration::{M, Migrations};

const MIGRATIONS: &[M<'static>] = &[
    // 1: the plumbing: processed updates, rejected payloads, key/value state, outbox.
    M::up(
        r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Every update Telegram delivered, deduplicated by its id, with what became of it.
CREATE TABLE updates (
    update_id   INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,              -- unix ms
    source      TEXT    NOT NULL CHECK (source IN ('webhook', 'poll')),
    kind        TEXT    NOT NULL,              -- message, callback_query, ... or 'unknown'
    outcome     TEXT    NOT NULL CHECK (outcome IN ('handled', 'ignored', 'invalid', 'failed')),
    detail      TEXT,                          -- why it was ignored / what failed
    raw         TEXT    NOT NULL
) STRICT;

-- Payloads that were not updates at all (no JSON, no update_id): kept for the admin.
CREATE TABLE rejected_updates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    error       TEXT    NOT NULL,
    raw         BLOB    NOT NULL
) STRICT;

-- Outgoing Bot API calls, written in the transaction of the state change that caused
-- them and delivered by the sender in id order per chat.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  INTEGER NOT NULL,
    chat_id     INTEGER,                       -- pacing and ordering key; NULL: not chat-bound
    method      TEXT    NOT NULL,
    params      TEXT    NOT NULL,              -- JSON object
    purpose     TEXT,                          -- JSON: what to do with the result
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  INTEGER NOT NULL DEFAULT 0,    -- unix ms: retry not before
    last_error  TEXT,
    result      TEXT,                          -- JSON result of the successful call
    done_at     INTEGER
) STRICT;
CREATE INDEX outbox_pending ON outbox (chat_id, id) WHERE status = 'pending';
"#,
    ),
    // 2: the people and conversations of the help desk.
    M::up(
        r#"
CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,           -- Telegram user id = private chat id
    first_name  TEXT    NOT NULL,
    last_name   TEXT,
    username    TEXT,
    language    TEXT,
    email       TEXT,
    state       TEXT    NOT NULL DEFAULT 'new',
    verified_at INTEGER,
    blocked_at  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE communications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    status        TEXT    NOT NULL CHECK (status IN ('unassigned', 'assigned', 'closed')),
    specialist_id INTEGER,
    opened_at     INTEGER NOT NULL,
    assigned_at   INTEGER,
    closed_at     INTEGER,
    close_reason  TEXT,
    idle_deadline INTEGER,                     -- unix ms: timeout close, when set
    CHECK (status <> 'assigned' OR specialist_id IS NOT NULL),
    CHECK (status <> 'unassigned' OR specialist_id IS NULL)
) STRICT;
-- SPEC §1 invariants, enforced by the database itself.
CREATE UNIQUE INDEX communications_one_open_per_customer
    ON communications (customer_id) WHERE status <> 'closed';
CREATE UNIQUE INDEX communications_one_active_per_specialist
    ON communications (specialist_id) WHERE status = 'assigned';
CREATE INDEX communications_deadline
    ON communications (idle_deadline) WHERE status = 'assigned' AND idle_deadline IS NOT NULL;

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    communication_id INTEGER NOT NULL REFERENCES communications (id),
    at               INTEGER NOT NULL,
    role             TEXT    NOT NULL CHECK (role IN ('customer', 'specialist', 'bot')),
    sender_id        INTEGER NOT NULL,
    chat_id          INTEGER NOT NULL,
    message_id       INTEGER NOT NULL,
    kind             TEXT    NOT NULL,
    text             TEXT,
    file_id          TEXT,
    file_name        TEXT,
    media_group_id   TEXT
) STRICT;
CREATE INDEX messages_by_communication ON messages (communication_id, id);
"#,
    ),
    // 3: onboarding codes, relaying bookkeeping, and outgoing mail.
    M::up(
        r#"
-- One-time email codes. Only a hash of the code is kept.
CREATE TABLE auth_codes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    email       TEXT    NOT NULL,
    code_hash   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    used_at     INTEGER,
    send_failed INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX auth_codes_by_customer ON auth_codes (customer_id, id);

-- A relayed message and its copy in the other party's chat (for replies and edits).
CREATE TABLE message_map (
    communication_id INTEGER NOT NULL REFERENCES communications (id),
    orig_chat        INTEGER NOT NULL,
    orig_msg         INTEGER NOT NULL,
    copy_chat        INTEGER NOT NULL,
    copy_msg         INTEGER NOT NULL
) STRICT;
CREATE INDEX message_map_by_orig ON message_map (orig_chat, orig_msg);
CREATE INDEX message_map_by_copy ON message_map (copy_chat, copy_msg);

-- The announcement of a communication in each service group / controller chat.
CREATE TABLE announcements (
    communication_id INTEGER NOT NULL REFERENCES communications (id),
    chat_id          INTEGER NOT NULL,
    message_id       INTEGER,                  -- known once the send succeeded
    active           INTEGER NOT NULL DEFAULT 1, -- still shows a Take button
    PRIMARY KEY (communication_id, chat_id)
) STRICT;

-- Album parts gathered for a short window, then relayed together.
CREATE TABLE album_parts (
    chat_id          INTEGER NOT NULL,
    media_group_id   TEXT    NOT NULL,
    message_id       INTEGER NOT NULL,
    communication_id INTEGER NOT NULL REFERENCES communications (id),
    target_chat      INTEGER NOT NULL,
    due_at           INTEGER NOT NULL,
    PRIMARY KEY (chat_id, media_group_id, message_id)
) STRICT;
CREATE INDEX album_parts_due ON album_parts (due_at);

-- Who held a communication when: taken, released (or closed).
CREATE TABLE assignments (
    communication_id INTEGER NOT NULL REFERENCES communications (id),
    specialist_id    INTEGER NOT NULL,
    taken_at         INTEGER NOT NULL,
    released_at      INTEGER
) STRICT;
CREATE INDEX assignments_by_communication ON assignments (communication_id);

-- Outgoing email, delivered by the mail worker.
CREATE TABLE mail_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at   INTEGER NOT NULL,
    recipient    TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    purpose      TEXT,                         -- JSON: what to do if it cannot be sent
    max_attempts INTEGER NOT NULL DEFAULT 0,   -- 0: retry until sent
    status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    not_before   INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    done_at      INTEGER
) STRICT;
CREATE INDEX mail_outbox_pending ON mail_outbox (not_before) WHERE status = 'pending';

-- A pending call with a coalescing key is replaced, not duplicated, by a newer one
-- (announcement edits: only the latest text matters).
ALTER TABLE outbox ADD COLUMN coalesce_key TEXT;
CREATE INDEX outbox_coalesce ON outbox (coalesce_key) WHERE status = 'pending' AND coalesce_key IS NOT NULL;
"#,
    ),
    // 4: the archive on disk: files to download, transcripts to rewrite, zips to send.
    M::up(
        r#"
ALTER TABLE messages ADD COLUMN file_size INTEGER;

-- A file of the conversation, to be saved under files/ as saved_name.
CREATE TABLE archive_files (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    communication_id INTEGER NOT NULL REFERENCES communications (id),
    message_row      INTEGER NOT NULL REFERENCES messages (id),
    file_id          TEXT    NOT NULL,
    size             INTEGER,
    saved_name       TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'saved', 'too_large', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    not_before       INTEGER NOT NULL DEFAULT 0,
    error            TEXT
) STRICT;
CREATE INDEX archive_files_pending ON archive_files (not_before) WHERE status = 'pending';
CREATE UNIQUE INDEX archive_files_by_message ON archive_files (message_row);

-- Communications whose transcript.txt must be written again.
CREATE TABLE archive_dirty (
    communication_id INTEGER PRIMARY KEY
) STRICT;

-- Zips asked for with the Download button.
CREATE TABLE zip_requests (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    communication_id INTEGER NOT NULL,
    chat_id          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
) STRICT;
"#,
    ),
    // 5: the queue of unassigned communications, oldest first, from an index.
    M::up("CREATE INDEX communications_by_status ON communications (status, opened_at, id);"),
    // 6: transcripts are appended to as messages arrive, rewritten whole only when
    // their header or a file's state changes.
    M::up(
        r#"
ALTER TABLE archive_dirty ADD COLUMN full INTEGER NOT NULL DEFAULT 1;
ALTER TABLE archive_dirty ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE archive_progress (
    communication_id INTEGER PRIMARY KEY,
    last_message     INTEGER NOT NULL,     -- messages.id of the last line written
    bytes            INTEGER NOT NULL      -- the file's length after it
) STRICT;
"#,
    ),
    // 7: the outbox holds the core's typed messages (`method` is their kind, `params`
    // their JSON); calls still pending from before are marked to be sent as the raw
    // Bot API calls they are.
    M::up("UPDATE outbox SET method = 'raw:' || method WHERE status = 'pending';"),
    // 8: the figures of each communication (SPEC §6.1), recorded as events happen.
    // `_s` wall-clock seconds, `_bs` seconds inside working hours. Communications
    // from before get what their messages and assignments tell (times to take and
    // to the first response, resolution, counts); waits and working-hours seconds
    // cannot be known for them and stay empty.
    M::up(
        r#"
CREATE TABLE comm_figures (
    communication_id    INTEGER PRIMARY KEY REFERENCES communications (id),
    opened_at           INTEGER NOT NULL,
    taken_at            INTEGER,
    time_to_take_s      INTEGER,
    time_to_take_bs     INTEGER,
    first_response_at   INTEGER,
    first_response_by   INTEGER,
    first_response_s    INTEGER,
    first_response_bs   INTEGER,
    waiting_since       INTEGER,
    waits               INTEGER NOT NULL DEFAULT 0,
    wait_sum_s          INTEGER NOT NULL DEFAULT 0,
    wait_sum_bs         INTEGER,
    wait_max_s          INTEGER NOT NULL DEFAULT 0,
    wait_max_bs         INTEGER,
    last_specialist_at  INTEGER,
    closed_at           INTEGER,
    closed_by           INTEGER,               -- the specialist who held it when it closed
    resolution_s        INTEGER,
    resolution_bs       INTEGER,
    customer_messages   INTEGER NOT NULL DEFAULT 0,
    specialist_messages INTEGER NOT NULL DEFAULT 0,
    releases            INTEGER NOT NULL DEFAULT 0,
    transfers           INTEGER NOT NULL DEFAULT 0,
    reminders           INTEGER NOT NULL DEFAULT 0
) STRICT;
-- /stats reads these from the indexes alone.
CREATE INDEX comm_figures_by_first_response
    ON comm_figures (first_response_by, first_response_at, first_response_s);
CREATE INDEX comm_figures_by_closer ON comm_figures (closed_by, closed_at, resolution_s)
    WHERE closed_at IS NOT NULL;
-- /stats: a specialist's takes and closes over a range.
CREATE INDEX assignments_by_specialist ON assignments (specialist_id, taken_at);
CREATE INDEX communications_closed_by_specialist ON communications (specialist_id, closed_at)
    WHERE status = 'closed';

INSERT INTO comm_figures (communication_id, opened_at, taken_at, first_response_at,
    first_response_by, last_specialist_at, closed_at, customer_messages,
    specialist_messages, releases)
SELECT c.id, c.opened_at,
    (SELECT min(a.taken_at) FROM assignments a WHERE a.communication_id = c.id),
    (SELECT min(m.at) FROM messages m
        WHERE m.communication_id = c.id AND m.role = 'specialist' AND m.kind <> 'edit'),
    (SELECT m.sender_id FROM messages m
        WHERE m.communication_id = c.id AND m.role = 'specialist' AND m.kind <> 'edit'
        ORDER BY m.id LIMIT 1),
    (SELECT max(m.at) FROM messages m
        WHERE m.communication_id = c.id AND m.role = 'specialist' AND m.kind <> 'edit'),
    c.closed_at,
    (SELECT count(*) FROM messages m
        WHERE m.communication_id = c.id AND m.role = 'customer' AND m.kind <> 'edit'),
    (SELECT count(*) FROM messages m
        WHERE m.communication_id = c.id AND m.role = 'specialist' AND m.kind <> 'edit'),
    (SELECT count(*) FROM assignments a
        WHERE a.communication_id = c.id AND a.released_at IS NOT NULL
          AND (c.closed_at IS NULL OR a.released_at < c.closed_at))
FROM communications c;
UPDATE comm_figures SET
    closed_by = CASE WHEN closed_at IS NOT NULL
        THEN (SELECT c.specialist_id FROM communications c WHERE c.id = communication_id) END,
    time_to_take_s = (taken_at - opened_at) / 1000,
    first_response_s = (first_response_at - opened_at) / 1000;
UPDATE comm_figures SET resolution_s = (
    CASE WHEN (SELECT close_reason FROM communications c WHERE c.id = communication_id) = 'timeout'
              AND last_specialist_at IS NOT NULL
         THEN last_specialist_at ELSE closed_at END - opened_at) / 1000
WHERE closed_at IS NOT NULL;
"#,
    ),
    // 9: one table of deadlines for every timed step of a communication (SPEC §1.5,
    // §6.3): the timeout close, the close warning, the reminder steps. At most one
    // row per communication and kind: the next step due; `due_at` NULL once the last
    // step has fired (the steps do not start again until their condition does).
    // `started_at` is the moment the steps count from. The idle deadlines move here;
    // `communications.idle_deadline` stays, unused.
    M::up(
        r#"
CREATE TABLE deadlines (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL
                     CHECK (kind IN ('idle_close', 'close_warning', 'unassigned', 'unanswered')),
    communication_id INTEGER NOT NULL REFERENCES communications (id),
    step             INTEGER NOT NULL DEFAULT 0,
    started_at       INTEGER NOT NULL,
    due_at           INTEGER
) STRICT;
CREATE UNIQUE INDEX deadlines_one_per_kind ON deadlines (communication_id, kind);
CREATE INDEX deadlines_due ON deadlines (due_at) WHERE due_at IS NOT NULL;
INSERT INTO deadlines (kind, communication_id, step, started_at, due_at)
    SELECT 'idle_close', id, 0, idle_deadline, idle_deadline FROM communications
    WHERE status = 'assigned' AND idle_deadline IS NOT NULL;
UPDATE communications SET idle_deadline = NULL;
DROP INDEX communications_deadline;
"#,
    ),
    // 10: satisfaction surveys (SPEC §6.5): one per closed communication, with its
    // rating and comment once given.
    M::up(
        r#"
CREATE TABLE surveys (
    communication_id INTEGER PRIMARY KEY REFERENCES communications (id),
    customer_id      INTEGER NOT NULL,
    specialist_id    INTEGER,
    asked_at         INTEGER NOT NULL,     -- unix ms the survey was queued
    message_id       INTEGER,              -- the survey's message in the customer's chat
    rating           INTEGER CHECK (rating BETWEEN 1 AND 5),
    rated_at         INTEGER,              -- unix ms of the latest rating
    comment          TEXT,
    commented_at     INTEGER,
    comment_until    INTEGER,              -- set by the first rating: the comment (and change) window
    awaiting_comment INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX surveys_awaiting ON surveys (customer_id) WHERE awaiting_comment = 1;
CREATE INDEX surveys_by_rated_at ON surveys (rated_at) WHERE rating IS NOT NULL;
CREATE INDEX surveys_by_asked_at ON surveys (asked_at);
CREATE INDEX surveys_by_specialist ON surveys (specialist_id, rated_at, rating)
    WHERE rating IS NOT NULL;
"#,
    ),
    // 11: /stats from per-day sums (SPEC §6.4). For each specialist and UTC day (unix
    // ms ÷ 86,400,000, rounded down): what the tallies count on that day — takes
    // from `assignments`, closes and resolutions from `comm_figures`, ratings from
    // `surveys` — and how many first responses of each whole number of seconds, so
    // that medians stay exact. Triggers keep them in the transaction of every write
    // to those rows, whoever makes it (`figures::save` updates its row in place for
    // them to see the old values); what exists already is added up here. /stats
    // reads whole days from these and the rest of a range from the rows themselves
    // (`store/stats.rs`). A day whose rows went away may stay, at zero.
    M::up(super::schema_sums::STATS_DAYS),
    // 12: the audit log (SPEC §7.6): one row per action recorded, written in the
    // transaction of the change it records and never changed afterwards. `actor`
    // is a Telegram id in decimal or 'system'; `action` one of the SPEC's names;
    // `details` key=value pairs (domain/audit.rs). The indexes serve the filters of
    // `relaydesk audit`: a time range alone, or with an actor or a communication.
    M::up(
        r#"
CREATE TABLE audit (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               INTEGER NOT NULL,             -- unix ms
    actor            TEXT    NOT NULL
                     CHECK (actor = 'system' OR CAST(CAST(actor AS INTEGER) AS TEXT) = actor),
    action           TEXT    NOT NULL CHECK (action IN ('take', 'release', 'transfer', 'close',
                         'timeout_close', 'note', 'block', 'unblock', 'rating', 'canned',
                         'login', 'logout', 'login_failed', 'export', 'retention', 'import')),
    communication_id INTEGER,                      -- NULL: not about one communication
    details          TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_by_at ON audit (at);
CREATE INDEX audit_by_actor ON audit (actor, at);
CREATE INDEX audit_by_communication ON audit (communication_id, at)
    WHERE communication_id IS NOT NULL;
-- Append-only: a line once written stays as it is.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
    ),
    // 13: The toolbox (SPEC §7): departments and the wait for a customer's choice, blocks
    // by the staff (apart from the customer blocking the bot), a blocked customer's
    // kept messages, and the canned answers edited in the console.
    M::up(
        r#"
ALTER TABLE communications ADD COLUMN department TEXT NOT NULL DEFAULT '';
ALTER TABLE communications ADD COLUMN choosing INTEGER NOT NULL DEFAULT 0;
CREATE INDEX communications_queue ON communications (department, opened_at, id)
    WHERE status = 'unassigned' AND choosing = 0;
ALTER TABLE customers ADD COLUMN banned_at INTEGER;  -- unix ms: blocked by the staff
ALTER TABLE customers ADD COLUMN ban_told INTEGER NOT NULL DEFAULT 0;
CREATE TABLE blocked_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    at          INTEGER NOT NULL,
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    text        TEXT,
    file_id     TEXT,
    file_name   TEXT,
    archived    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX blocked_messages_to_archive ON blocked_messages (id) WHERE archived = 0;
CREATE TABLE canned_answers (
    key        TEXT    PRIMARY KEY,
    title      TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
"#,
    ),
    // 14: the web console (SPEC §8): one pending sign-in code per staff member (a
    // keyed hash, its expiry, the wrong tries so far), and the sessions (the SHA-256
    // of the cookie's token, whose, until when). Nothing here holds a code or a
    // token in clear.
    M::up(
        r#"
CREATE TABLE console_codes (
    staff_id   INTEGER PRIMARY KEY,
    hash       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,                  -- unix ms
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE console_sessions (
    token_hash TEXT    PRIMARY KEY,
    staff_id   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sessions_by_staff ON console_sessions (staff_id);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);
"#,
    ),
    // 15: retention and stalled onboarding (SPEC §9). `pruned_at`: when retention
    // removed a closed communication's messages and files (its figures, survey and
    // audit lines stay); the index finds those still to prune by close time.
    // `onboarding_remind_at`: when a customer asked for their email or code who
    // stays silent is reminded, once (NULL: nothing due).
    M::up(
        r#"
ALTER TABLE communications ADD COLUMN pruned_at INTEGER;
CREATE INDEX communications_to_prune ON communications (closed_at)
    WHERE status = 'closed' AND pruned_at IS NULL;
ALTER TABLE customers ADD COLUMN onboarding_remind_at INTEGER;
CREATE INDEX customers_onboarding_remind ON customers (onboarding_remind_at)
    WHERE onboarding_remind_at IS NOT NULL;
"#,
    ),
    // 16: Telegram in the wild (SPEC §10): a service group upgraded to a supergroup
    // gets a new chat id; the bot writes to the new one from then on, whatever the
    // configuration still says (`old_chat` as configured, `new_chat` where it lives
    // now).
    M::up(
        r#"
CREATE TABLE chat_moves (
    old_chat INTEGER PRIMARY KEY,
    new_chat INTEGER NOT NULL CHECK (new_chat <> old_chat),
    moved_at INTEGER NOT NULL                     -- unix ms
) STRICT;
"#,
    ),
    // 17: the audit log also records a reply typed in the web console (`reply`,
    // issue 14). SQLite cannot change a CHECK in place: the table is rebuilt with
    // its lines, ids, indexes and append-only triggers (DROP TABLE fires no
    // DELETE trigger; the lines are copied as they are).
    M::up(
        r#"
CREATE TABLE audit_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               INTEGER NOT NULL,             -- unix ms
    actor            TEXT    NOT NULL
                     CHECK (actor = 'system' OR CAST(CAST(actor AS INTEGER) AS TEXT) = actor),
    action           TEXT    NOT NULL CHECK (action IN ('take', 'release', 'transfer', 'close',
                         'timeout_close', 'note', 'block', 'unblock', 'rating', 'canned',
                         'login', 'logout', 'login_failed', 'export', 'retention', 'import',
                         'reply')),
    communication_id INTEGER,                      -- NULL: not about one communication
    details          TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO audit_new (id, at, actor, action, communication_id, details)
    SELECT id, at, actor, action, communication_id, details FROM audit ORDER BY id;
DROP TABLE audit;
ALTER TABLE audit_new RENAME TO audit;
CREATE INDEX audit_by_at ON audit (at);
CREATE INDEX audit_by_actor ON audit (actor, at);
CREATE INDEX audit_by_communication ON audit (communication_id, at)
    WHERE communication_id IS NOT NULL;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
    ),
    // 18: the web console's charts (SPEC §8 /stats, issue 14): per UTC day and
    // department, how many requests were opened, and how many first responses,
    // resolutions (in seconds, rounded down to a bucket: exact below 2 min, then to
    // 10 s, 100 s, 1000 s, 10,000 s — at most a tenth off) and ratings (by value)
    // there were, so that a chart of 90 days reads a few thousand rows, never the
    // communications. Triggers keep it in the transaction of every write, like
    // `stats_days`; a figure counts in the department its request was in when the
    // figure was recorded (the opened count moves with the request).
    M::up(super::schema_sums::STATS_SERIES),
    // 19: the @username each staff member was last seen with in Telegram, so that
    // the console's sign-in takes one as well as an id (SPEC §8; the configuration
    // lists ids only).
    M::up(
        r#"
CREATE TABLE staff_usernames (
    staff_id INTEGER PRIMARY KEY,
    username TEXT    NOT NULL,
    seen_at  INTEGER NOT NULL                     -- unix ms it was first seen so
) STRICT;
CREATE INDEX staff_usernames_by_name ON staff_usernames (username COLLATE NOCASE);
"#,
    ),
];

/// The schema version that brings the audit log (migration 12).
pub const AUDIT_VERSION: usize = 12;
/// The schema version that brings retention's bookkeeping (migration 15).
pub const RETENTION_VERSION: usize = 15;

pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(MIGRATIONS)
}

/// How many migrations exist (the latest schema version).
pub fn latest_version() -> usize {
    MIGRATIONS.len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().expect("migrations validate");
    }
}
