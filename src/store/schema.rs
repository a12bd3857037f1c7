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
];

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
