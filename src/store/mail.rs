//! The mail outbox (`mail_outbox`): every email the service sends, queued in the
//! transaction that decided it and delivered by the mail worker, which records here
//! how each attempt went.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::MailOut;
use crate::error::Result;
use crate::store::Cached;

/// A queued email that is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingMail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The [`crate::domain::MailPurpose`] as JSON, if it had one.
    pub purpose: Option<String>,
    /// 0: retry until sent.
    pub max_attempts: i64,
    pub attempts: i64,
}

/// Queue `mail`; its row id. The one way a row gets into the mail outbox.
pub fn enqueue(conn: &Connection, mail: &MailOut, now: i64) -> Result<i64> {
    conn.exec(
        "INSERT INTO mail_outbox (created_at, recipient, subject, body, purpose, max_attempts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            now,
            mail.to,
            mail.subject,
            mail.body,
            serde_json::to_string(&mail.purpose).ok(),
            mail.max_attempts
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The oldest pending email due at `now`.
pub fn next_due(conn: &Connection, now: i64) -> Result<Option<PendingMail>> {
    Ok(conn
        .row(
            "SELECT id, recipient, subject, body, purpose, max_attempts, attempts FROM mail_outbox
             WHERE status = 'pending' AND not_before <= ?1 ORDER BY id LIMIT 1",
            [now],
            |r| {
                from_row!(r => PendingMail {
                    id, to, subject, body, purpose, max_attempts, attempts
                })
            },
        )
        .optional()?)
}

/// When the next pending email is due (`None`: nothing pending).
pub fn next_due_at(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn.value(
        "SELECT min(not_before) FROM mail_outbox WHERE status = 'pending'",
        [],
    )?)
}

/// Email `id` was sent at `now`. A sent code is no use to anyone in the database:
/// the body of a code email is dropped.
pub fn mark_sent(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.exec(
        "UPDATE mail_outbox SET status = 'sent', attempts = attempts + 1, done_at = ?2,
             body = CASE WHEN purpose LIKE '%\"code\"%' THEN '(code removed after sending)' ELSE body END
         WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// An attempt at email `id` failed with `error`; try again from `not_before`.
pub fn mark_retry(conn: &Connection, id: i64, not_before: i64, error: &str) -> Result<()> {
    conn.exec(
        "UPDATE mail_outbox SET attempts = attempts + 1, not_before = ?2, last_error = ?3 WHERE id = ?1",
        params![id, not_before, error],
    )?;
    Ok(())
}

/// Email `id` cannot be sent (`error`): given up at `now`, its body dropped.
pub fn mark_failed(conn: &Connection, id: i64, error: &str, now: i64) -> Result<()> {
    conn.exec(
        "UPDATE mail_outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2,
             done_at = ?3, body = '(not sent)'
         WHERE id = ?1",
        params![id, error, now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CustomerId, MailPurpose};
    use crate::store::testing::test_db;

    fn mail(purpose: MailPurpose) -> MailOut {
        MailOut {
            to: "ann@example.com".into(),
            subject: "Your code".into(),
            body: "123456".into(),
            purpose,
            max_attempts: 2,
        }
    }

    #[test]
    fn a_queued_mail_is_due_then_sent() {
        let conn = test_db();
        assert_eq!(next_due(&conn, 10).unwrap(), None);
        assert_eq!(next_due_at(&conn).unwrap(), None);
        let id = enqueue(
            &conn,
            &mail(MailPurpose::Code {
                customer: CustomerId(5),
            }),
            10,
        )
        .unwrap();
        let due = next_due(&conn, 10).unwrap().unwrap();
        assert_eq!(
            due,
            PendingMail {
                id,
                to: "ann@example.com".into(),
                subject: "Your code".into(),
                body: "123456".into(),
                purpose: Some(r#"{"p":"code","customer":5}"#.into()),
                max_attempts: 2,
                attempts: 0,
            }
        );
        mark_retry(&conn, id, 500, "busy").unwrap();
        assert_eq!(next_due(&conn, 499).unwrap(), None);
        assert_eq!(next_due_at(&conn).unwrap(), Some(500));
        assert_eq!(next_due(&conn, 500).unwrap().unwrap().attempts, 1);
        mark_sent(&conn, id, 600).unwrap();
        assert_eq!(next_due(&conn, i64::MAX).unwrap(), None);
        assert_eq!(next_due_at(&conn).unwrap(), None);
        let (status, body, attempts, done): (String, String, i64, i64) = conn
            .row(
                "SELECT status, body, attempts, done_at FROM mail_outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            (status.as_str(), body.as_str(), attempts, done),
            ("sent", "(code removed after sending)", 2, 600)
        );
    }

    #[test]
    fn an_alert_keeps_its_body_and_a_failed_mail_loses_it() {
        let conn = test_db();
        let alert = enqueue(&conn, &mail(MailPurpose::Alert), 1).unwrap();
        let code = enqueue(
            &conn,
            &mail(MailPurpose::Code {
                customer: CustomerId(5),
            }),
            1,
        )
        .unwrap();
        assert!(code > alert);
        assert_eq!(
            next_due(&conn, 1).unwrap().unwrap().purpose.as_deref(),
            Some(r#"{"p":"alert"}"#)
        );
        mark_sent(&conn, alert, 2).unwrap();
        mark_failed(&conn, code, "refused", 3).unwrap();
        let rows: Vec<(String, String, Option<String>)> = conn
            .prepare("SELECT status, body, last_error FROM mail_outbox ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                ("sent".into(), "123456".into(), None),
                ("failed".into(), "(not sent)".into(), Some("refused".into())),
            ]
        );
    }
}
