//! Databases and rows the unit tests share (the store's and those of the layers
//! above it).

use rusqlite::Connection;

use crate::store::Store;

/// A new database in a temporary folder, which lives as long as the `TempDir`.
pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("test.sqlite3")).unwrap();
    (dir, store)
}

/// A new, migrated database in a temporary folder, on a connection of its own
/// (no checkpointer, no code key): what the tests of the store's functions need.
/// The folder goes when it does.
pub struct TestDb {
    // Dropped in this order: the connection before its folder.
    conn: Connection,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for TestDb {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for TestDb {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// See [`TestDb`].
pub fn test_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("test.sqlite3")).unwrap();
    super::configure(&conn, "FULL").unwrap();
    super::schema::migrations().to_latest(&mut conn).unwrap();
    TestDb { conn, _dir: dir }
}

/// Customer `id`, with a name and nothing else.
pub fn customer(conn: &Connection, id: i64) {
    conn.execute(
        "INSERT INTO customers (id, first_name, created_at, updated_at) VALUES (?1, 'C', 0, 0)",
        [id],
    )
    .unwrap();
}

/// Customer `id`, verified, named `first_name`.
pub fn verified_customer(conn: &Connection, id: i64, first_name: &str) {
    conn.execute(
        "INSERT INTO customers (id, first_name, state, created_at, updated_at)
         VALUES (?1, ?2, 'verified', 1, 1)",
        rusqlite::params![id, first_name],
    )
    .unwrap();
}

/// Customer `customer_id` and their unassigned communication `id`.
pub fn unassigned_communication(conn: &Connection, id: i64, customer_id: i64) {
    customer(conn, customer_id);
    conn.execute(
        "INSERT INTO communications (id, customer_id, status, opened_at) VALUES (?1, ?2, 'unassigned', 0)",
        [id, customer_id],
    )
    .unwrap();
}

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

/// The one integer `sql` selects (a count, mostly).
pub fn number(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The steps of SQLite's plan for `sql` run with `params`.
pub fn query_plan(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Vec<String> {
    conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap()
        .query_map(params, |r| r.get::<_, String>(3))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}
