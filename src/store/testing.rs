//! Rows the store's unit tests share.

use rusqlite::Connection;

/// Customer 42 (once) and their closed communication `id`.
pub fn closed_communication(conn: &Connection, id: i64) {
    conn.execute(
        "INSERT INTO customers (id, first_name, state, created_at, updated_at) VALUES (42, 'Ann', 'verified', 0, 0)
         ON CONFLICT DO NOTHING",
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO communications (id, customer_id, status, opened_at) VALUES (?1, 42, 'closed', 0)",
        [id],
    )
    .unwrap();
}
