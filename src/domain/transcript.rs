//! The transcript of a communication as plain text: a header (who, when, which
//! specialists, how it ended) and one line per message. The same text is written to
//! `transcript.txt` and shown in Telegram.

use chrono::{DateTime, Utc};

use crate::domain::render::describe;
use crate::domain::texts::Lang;
use crate::domain::{Assignment, Communication, Customer, Kind, LogEntry, Role, StaffId, Status};

pub fn at(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// Everything a transcript shows.
pub struct Transcript<'a> {
    pub comm: &'a Communication,
    pub customer: &'a Customer,
    pub assignments: &'a [Assignment],
    pub log: &'a [LogEntry],
    /// The display name of a specialist by id.
    pub specialist_name: &'a dyn Fn(StaffId) -> String,
    /// The staff's texts (`texts.locale`) for the header.
    pub texts: &'a Lang,
}

impl Transcript<'_> {
    pub fn render(&self) -> String {
        let mut out = self.header();
        for e in self.log {
            out.push_str(&self.line(e));
        }
        out
    }

    /// Everything above the messages (it changes when the communication does), in
    /// the staff's language (`texts.locale`).
    pub fn header(&self) -> String {
        let t = self.texts;
        let c = self.customer;
        let mut out = t.render_plain(
            "transcript_communication",
            &[("id", &self.comm.id.to_string())],
        );
        out.push('\n');
        let mut who = c.user.display_name();
        if let Some(u) = c.user.username.as_deref().filter(|u| !u.is_empty()) {
            who.push_str(&format!(" (@{u})"));
        }
        let email = c
            .email
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let key = if c.email.is_some() {
            "transcript_customer_email"
        } else {
            "transcript_customer"
        };
        let id = c.user.id.to_string();
        out.push_str(&t.render_plain(key, &[("who", &who), ("id", &id), ("email", &email)]));
        out.push('\n');
        let opened = at(self.comm.opened_at);
        out.push_str(&t.render_plain("transcript_opened", &[("at", &opened)]));
        out.push('\n');
        if self.assignments.is_empty() {
            out.push_str(&t.render_plain("transcript_no_specialists", &[]));
            out.push('\n');
        } else {
            out.push_str(&t.render_plain("transcript_specialists", &[]));
            out.push('\n');
            for a in self.assignments {
                let name = (self.specialist_name)(a.specialist_id);
                let took = t.render_plain(
                    "transcript_took",
                    &[
                        ("name", &name),
                        ("id", &a.specialist_id.to_string()),
                        ("at", &at(a.taken_at)),
                    ],
                );
                let released = match a.released_at {
                    Some(r) if self.comm.closed_at == Some(r) => {
                        t.render_plain("transcript_until_close", &[("at", &at(r))])
                    }
                    Some(r) => t.render_plain("transcript_released", &[("at", &at(r))]),
                    None => String::new(),
                };
                out.push_str(&format!("  {took}{released}\n"));
            }
        }
        let status = match self.comm.status {
            Status::Closed => t.render_plain(
                "transcript_closed",
                &[
                    ("at", &self.comm.closed_at.map(at).unwrap_or_default()),
                    ("reason", self.comm.close_reason.as_deref().unwrap_or("—")),
                ],
            ),
            Status::Assigned => t.render_plain("transcript_assigned", &[]),
            Status::Unassigned => t.render_plain("transcript_unassigned", &[]),
        };
        out.push_str(&status);
        out.push('\n');
        out.push_str(&"-".repeat(60));
        out.push('\n');
        out
    }

    /// One message as a line (or more, for a text with line breaks).
    pub fn line(&self, e: &LogEntry) -> String {
        let c = self.customer;
        let (role, name) = match e.role {
            Role::Customer => ("customer", c.user.display_name()),
            Role::Specialist => ("specialist", (self.specialist_name)(StaffId(e.sender_id))),
        };
        // An internal note is marked as one, with its author.
        let role = if e.kind == Kind::Note { "note" } else { role };
        let mut what = describe(e.kind, None, e.file_name.as_deref());
        if let Some(f) = &e.file {
            let note = match f.status.as_str() {
                "saved" => String::new(),
                "too_large" => " (not downloaded: too large)".to_string(),
                "failed" => " (not downloaded: failed)".to_string(),
                _ => " (downloading)".to_string(),
            };
            what = format!("[{what}: files/{}{note}]", f.saved_name);
        } else if !what.is_empty() && what != "…" {
            what = format!("[{what}]");
        } else {
            what.clear();
        }
        let text = e.text.as_deref().unwrap_or("").replace('\n', "\n    ");
        let body = match (what.is_empty(), text.is_empty()) {
            (true, _) => text,
            (false, true) => what,
            (false, false) => format!("{what} {text}"),
        };
        format!("{}  {role}  {name}: {body}\n", at(e.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::texts::Locale;
    use crate::domain::{ChatId, CommId, CustomerId, FileNote, Kind, MessageId};

    #[test]
    fn header_and_lines() {
        let comm = Communication {
            id: CommId(12),
            customer_id: CustomerId(42),
            status: Status::Closed,
            specialist_id: Some(StaffId(5)),
            opened_at: 0,
            idle_deadline: None,
            closed_at: Some(90_000),
            close_reason: Some("timeout".into()),
            department: String::new(),
            choosing: false,
        };
        let customer = crate::domain::testing::verified_customer("Ann");
        let log = vec![
            LogEntry {
                at: 1000,
                role: Role::Customer,
                sender_id: 42,
                chat_id: ChatId(42),
                message_id: MessageId(7),
                kind: Kind::Text,
                text: Some("hello\nthere".into()),
                file_name: None,
                file: None,
            },
            LogEntry {
                at: 2000,
                role: Role::Specialist,
                sender_id: 5,
                chat_id: ChatId(5),
                message_id: MessageId(9),
                kind: Kind::Document,
                text: Some("the manual".into()),
                file_name: Some("manual.pdf".into()),
                file: Some(FileNote {
                    saved_name: "9-manual.pdf".into(),
                    status: "too_large".into(),
                }),
            },
        ];
        let assignments = [Assignment {
            specialist_id: StaffId(5),
            taken_at: 500,
            released_at: Some(60_000),
        }];
        let name = |id: StaffId| {
            if id == StaffId(5) {
                "Anna".to_string()
            } else {
                id.to_string()
            }
        };
        let texts = crate::domain::texts::Texts::new(Locale::En, &Default::default()).unwrap();
        let transcript = Transcript {
            comm: &comm,
            customer: &customer,
            assignments: &assignments,
            log: &log,
            specialist_name: &name,
            texts: texts.staff(),
        };
        let text = transcript.render();
        assert!(text.starts_with(
            "Communication #12\nCustomer: Ann (@ann), Telegram id 42, email ann@example.com\n"
        ));
        assert!(text.contains(
            "Anna (id 5): took 1970-01-01 00:00:00 UTC, released 1970-01-01 00:01:00 UTC"
        ));
        assert!(text.contains("Close reason: timeout"));
        assert!(text.contains("customer  Ann: hello\n    there\n"));
        assert!(text.contains(
            "specialist  Anna: [📎 document «manual.pdf»: files/9-manual.pdf (not downloaded: too large)] the manual"
        ));
        let ru = crate::domain::texts::Texts::new(Locale::Ru, &Default::default()).unwrap();
        let header = Transcript {
            texts: ru.staff(),
            ..transcript
        }
        .header();
        assert!(
            header.starts_with("Обращение #12\nКлиент: Ann (@ann)"),
            "{header}"
        );
        assert!(header.contains("Причина закрытия: timeout"), "{header}");
    }
}
