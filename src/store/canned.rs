//! The canned answers kept in the database (SPEC §7.4, migration 13), edited by
//! controllers in the web console; the configuration's keys win over these
//! (`Policy::canned_with`). Every decision that needs them reads them afresh
//! (`store/desk.rs` `canned_answers`), so a change is used at once.

use rusqlite::{Connection, params};

use crate::domain::Canned;
use crate::error::Result;
use crate::store::Cached;

/// Add canned answer `c`, or replace the one of its key.
pub fn put(conn: &Connection, c: &Canned, now: i64) -> Result<()> {
    conn.exec(
        "INSERT INTO canned_answers (key, title, text, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (key) DO UPDATE SET title = excluded.title, text = excluded.text,
             updated_at = excluded.updated_at",
        params![c.key, c.title, c.text, now],
    )?;
    Ok(())
}

/// Remove the canned answer of `key`; whether there was one.
pub fn delete(conn: &Connection, key: &str) -> Result<bool> {
    Ok(conn.exec("DELETE FROM canned_answers WHERE key = ?1", [key])? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::desk::canned_answers;
    use crate::store::testing::test_db;

    #[test]
    fn answers_are_added_replaced_and_removed() {
        let conn = test_db();
        let c = |key: &str, text: &str| Canned {
            key: key.into(),
            title: "T".into(),
            text: text.into(),
        };
        put(&conn, &c("b", "one"), 1).unwrap();
        put(&conn, &c("a", "two"), 2).unwrap();
        put(&conn, &c("b", "three"), 3).unwrap();
        assert_eq!(
            canned_answers(&conn).unwrap(),
            [c("a", "two"), c("b", "three")]
        );
        assert!(delete(&conn, "a").unwrap());
        assert!(!delete(&conn, "a").unwrap());
        assert_eq!(canned_answers(&conn).unwrap(), [c("b", "three")]);
    }
}
