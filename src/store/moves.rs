//! Groups that became supergroups (SPEC §10): the configured id and the one the
//! group has now. The writer reads them before every decision, so every message
//! for a service group goes where the group lives, across restarts.

use rusqlite::{Connection, params};

use super::Cached;
use crate::domain::ChatId;
use crate::error::Result;

/// Every move, old id → new id (a group that moved twice is one row, its first
/// id → its latest).
pub fn all(conn: &Connection) -> Result<Vec<(ChatId, ChatId)>> {
    Ok(conn.rows(
        "SELECT old_chat, new_chat FROM chat_moves ORDER BY old_chat",
        [],
        |r| Ok((ChatId(r.get(0)?), ChatId(r.get(1)?))),
    )?)
}

/// Chat `from` is `to` from now on: kept, earlier moves to `from` follow it, and
/// the announcements not yet sent to `from` are for `to`. Those sent stay where
/// they are, no longer edited (the new chat does not have their messages; their
/// Take buttons keep working).
pub fn record(conn: &Connection, from: ChatId, to: ChatId, now: i64) -> Result<()> {
    conn.exec(
        "UPDATE chat_moves SET new_chat = ?2, moved_at = ?3 WHERE new_chat = ?1 AND old_chat <> ?2",
        params![from, to, now],
    )?;
    conn.exec(
        "DELETE FROM chat_moves WHERE old_chat = ?1 AND new_chat = ?1",
        [to],
    )?;
    conn.exec(
        "INSERT INTO chat_moves (old_chat, new_chat, moved_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (old_chat) DO UPDATE SET new_chat = excluded.new_chat, moved_at = excluded.moved_at",
        params![from, to, now],
    )?;
    conn.exec(
        "UPDATE OR IGNORE announcements SET chat_id = ?2 WHERE chat_id = ?1 AND message_id IS NULL",
        params![from, to],
    )?;
    conn.exec(
        "UPDATE announcements SET active = 0 WHERE chat_id = ?1 AND message_id IS NOT NULL",
        [from],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::test_db;

    #[test]
    fn a_group_that_moves_twice_is_found_under_its_latest_id() {
        let conn = test_db();
        record(&conn, ChatId(-5), ChatId(-1005), 1).unwrap();
        assert_eq!(all(&conn).unwrap(), vec![(ChatId(-5), ChatId(-1005))]);
        record(&conn, ChatId(-1005), ChatId(-1006), 2).unwrap();
        assert_eq!(
            all(&conn).unwrap(),
            vec![(ChatId(-1005), ChatId(-1006)), (ChatId(-5), ChatId(-1006))]
        );
        // The same move reported again changes nothing.
        record(&conn, ChatId(-1005), ChatId(-1006), 3).unwrap();
        assert_eq!(all(&conn).unwrap().len(), 2);
    }
}
