//! The texts built from data: customer cards, log lines, announcements. Everything a
//! user typed is escaped for HTML here.

use chrono::{DateTime, Utc};

use super::{Communication, Customer, Env, Kind, LogEntry, Role, StaffId};
use crate::domain::split::{MESSAGE_LIMIT, utf16_len};
use crate::domain::texts::escape_html;

/// At most this many characters of one message in a list (announcements).
const LINE_CHARS: usize = 600;

pub fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

fn clock(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

/// "Ann Lee (@ann) · id 42 · ann@example.com", escaped.
pub fn customer_line(c: &Customer) -> String {
    let mut s = format!("<b>{}</b>", escape_html(&c.user.display_name()));
    if let Some(u) = c.user.username.as_deref().filter(|u| !u.is_empty()) {
        s.push_str(&format!(" (@{})", escape_html(u)));
    }
    s.push_str(&format!(" · id <code>{}</code>", c.user.id));
    if let Some(e) = &c.email {
        s.push_str(&format!(" · {}", escape_html(e.as_str())));
    }
    s
}

/// The customer card: who, and the communication's number and age.
pub fn card(comm: &Communication, c: &Customer, env: &Env<'_>) -> String {
    heading("card", comm, c, env)
}

/// Text `key` about `comm` and its customer (its number, who, when it opened),
/// with the department where there are departments.
fn heading(key: &str, comm: &Communication, c: &Customer, env: &Env<'_>) -> String {
    let mut text = env.texts.render_html(
        key,
        &[
            ("id", &comm.id.to_string()),
            ("customer", &customer_line(c)),
            ("opened", &escape_html(&time(comm.opened_at))),
        ],
    );
    push_department(&mut text, comm, env);
    text
}

/// The line naming the communication's department, with departments.
fn push_department(text: &mut String, comm: &Communication, env: &Env<'_>) {
    if let Some(d) = env.policy.department(&comm.department) {
        text.push('\n');
        text.push_str(
            &env.texts
                .render("department_line", &[("department", &d.name)]),
        );
    }
}

/// A short, plain description of a message's content (no escaping).
pub fn describe(kind: Kind, text: Option<&str>, file_name: Option<&str>) -> String {
    let icon = match kind {
        Kind::Text | Kind::Other => "",
        Kind::Photo => "📷 photo",
        Kind::Document => "📎 document",
        Kind::Video => "🎬 video",
        Kind::Voice => "🎤 voice message",
        Kind::Audio => "🎵 audio",
        Kind::Sticker => "🏷 sticker",
        Kind::Animation => "🎞 animation",
        Kind::VideoNote => "📹 video message",
        Kind::Contact => "👤 contact",
        Kind::Location => "📍 location",
        Kind::Venue => "🏢 venue",
        Kind::Poll => "📊 poll",
        Kind::Dice => "🎲 dice",
        Kind::PaidMedia => "💰 paid media",
        Kind::Invoice => "🧾 invoice",
        Kind::Giveaway => "🎁 giveaway",
        Kind::Edit => "✏️ edited:",
        Kind::Note => "📝 note:",
        Kind::Canned | Kind::Web => "",
    };
    let mut s = icon.to_string();
    if let Some(name) = file_name.filter(|n| !n.is_empty()) {
        s.push_str(&format!(" «{name}»"));
    }
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(t);
    }
    if s.is_empty() {
        s = "…".into();
    }
    s
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

/// One log entry as an HTML line: "[15:40] Ann: text".
pub fn log_line(e: &LogEntry, customer: &Customer, env: &Env<'_>) -> String {
    let who = match e.role {
        Role::Customer => customer.user.display_name(),
        Role::Specialist => env.specialist_name(StaffId(e.sender_id)),
    };
    let what = truncate_chars(
        &describe(e.kind, e.text.as_deref(), e.file_name.as_deref()),
        LINE_CHARS,
    );
    format!(
        "<i>[{}]</i> <b>{}</b>: {}",
        clock(e.at),
        escape_html(&who),
        escape_html(&what)
    )
}

/// The announcement of a communication in a service group: the card, then as many
/// of the newest messages as fit in one Telegram message. `taken_by`: the name of
/// the specialist who took it (the announcement then says so).
pub fn announcement(
    comm: &Communication,
    customer: &Customer,
    log: &[LogEntry],
    taken_by: Option<&str>,
    env: &Env<'_>,
) -> String {
    let mut head = heading("announcement", comm, customer, env);
    if let Some(name) = taken_by {
        head.push_str("\n\n");
        head.push_str(&env.texts.render("announcement_taken", &[("name", name)]));
    }
    let budget = MESSAGE_LIMIT - 64;
    let mut used = utf16_len(&head);
    let mut lines: Vec<String> = Vec::new();
    let mut cut = false;
    for e in log.iter().rev() {
        let line = log_line(e, customer, env);
        let len = utf16_len(&line) + 1;
        if used + len > budget {
            cut = true;
            break;
        }
        used += len;
        lines.push(line);
    }
    lines.reverse();
    let mut text = head;
    if !lines.is_empty() {
        text.push_str("\n\n");
        if cut {
            text.push_str("…\n");
        }
        text.push_str(&lines.join("\n"));
    }
    text
}

/// The notice that stands for messages the Bot API will not copy, naming their
/// kinds, for the other side of the conversation (`from_customer`: who sent them).
pub(super) fn not_copied(kinds: &[Kind], from_customer: bool, env: &Env<'_>) -> String {
    let mut names: Vec<String> = Vec::new();
    for kind in kinds {
        let name = describe(*kind, None, None);
        let name = if name.is_empty() {
            kind.as_str().replace('_', " ")
        } else {
            name
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    // The customer's notice in their language, the specialist's in the desk's.
    let (key, texts) = if from_customer {
        ("not_copied_from_customer", env.texts.staff())
    } else {
        ("not_copied_from_specialist", env.to_customer())
    };
    texts.render(key, &[("kind", &names.join(", "))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::texts::Texts;
    use crate::domain::{ChatId, CommId, CustomerId, MessageId, Policy, Status};

    fn policy() -> Policy {
        crate::domain::testing::anna_desk()
    }

    fn customer() -> Customer {
        crate::domain::testing::verified_customer("<b>Ann</b> & co")
    }

    fn comm() -> Communication {
        Communication {
            id: CommId(7),
            customer_id: CustomerId(42),
            status: Status::Unassigned,
            specialist_id: None,
            opened_at: 0,
            idle_deadline: None,
            closed_at: None,
            close_reason: None,
            department: String::new(),
            choosing: false,
        }
    }

    fn entry(text: &str) -> LogEntry {
        LogEntry {
            at: 0,
            role: Role::Customer,
            sender_id: 42,
            chat_id: ChatId(42),
            message_id: MessageId(1),
            kind: Kind::Text,
            text: Some(text.into()),
            file_name: None,
            file: None,
        }
    }

    #[test]
    fn announcement_escapes_and_keeps_the_newest_within_the_limit() {
        let policy = policy();
        let texts = Texts::new(crate::domain::texts::Locale::En, &Default::default()).unwrap();
        let key = crate::domain::CodeKey::new(&[0; 32]);
        let env = Env {
            now: 0,
            fresh_code: "000000",
            policy: &policy,
            code_key: &key,
            texts: &texts,
            customer: None,
        };
        let mut log: Vec<LogEntry> = (0..200)
            .map(|i| entry(&format!("message {i} </code> &")))
            .collect();
        log.push(entry("the newest"));
        let text = announcement(&comm(), &customer(), &log, None, &env);
        assert!(utf16_len(&text) <= MESSAGE_LIMIT);
        assert!(text.contains("the newest"));
        assert!(!text.contains("message 0 "));
        assert!(text.contains("&lt;b&gt;Ann&lt;/b&gt; &amp; co"));
        assert!(text.contains("&lt;/code&gt; &amp;"));
        assert!(!text.contains("</code> &"));
        assert!(text.contains("#7"));
    }
}
