//! Announcements in the service groups and their buttons: posted when a request is
//! opened or released, kept current while it waits, and stripped of the Take button
//! once it is taken.

use super::render;
use super::{
    Button, Change, ChatId, CommId, Communication, Customer, Decision, Env, Format, Incoming, Key,
    Keyboard, LogEntry, MessageId, Outgoing, Purpose, Role, Snapshot, StaffId,
};

/// The Take button, for a chat whose members may take (service groups and
/// specialists; not controllers who only watch).
pub(super) fn take_keyboard_for(chat: ChatId, comm: CommId, env: &Env<'_>) -> Option<Keyboard> {
    // A watcher's chat is a group or a person's private chat (whose id is theirs).
    let person = StaffId(chat.0);
    let watcher_only = env.policy.is_controller(person) && !env.policy.is_specialist(person);
    (!watcher_only).then(|| take_keyboard(comm, env))
}

pub(super) fn take_keyboard(comm: CommId, env: &Env<'_>) -> Keyboard {
    Keyboard::single(
        env.texts.render_plain("button_take", &[]),
        Button::Take(comm),
    )
}

pub(super) fn controls_keyboard(comm: CommId, env: &Env<'_>) -> Keyboard {
    Keyboard::row(vec![
        Key::new(
            env.texts.render_plain("button_release", &[]),
            Button::Release(comm),
        ),
        Key::new(
            env.texts.render_plain("button_close", &[]),
            Button::Close(comm),
        ),
        Key::new(
            env.texts.render_plain("button_transfer", &[]),
            Button::Transfer(comm),
        ),
    ])
}

pub(super) fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// The log entry a message will become (for rendering before the store has it).
pub(super) fn entry(m: &Incoming, role: Role, env: &Env<'_>) -> LogEntry {
    LogEntry {
        at: env.now,
        role,
        sender_id: m.from.id,
        chat_id: m.chat_id,
        message_id: m.message_id,
        kind: m.kind(),
        text: m.text.clone(),
        file_name: m.file.as_ref().and_then(|f| f.file_name.clone()),
        file: None,
    }
}

/// Post a fresh announcement (with a Take button) in every service group and to
/// every controller.
pub(super) fn announce(
    comm: &Communication,
    customer: &Customer,
    log: &[LogEntry],
    env: &Env<'_>,
    d: &mut Decision,
) {
    let text = render::announcement(comm, customer, log, None, env);
    for chat in env.watchers_of(comm) {
        d.change(Change::NewAnnouncement {
            comm: comm.id,
            chat,
        });
        let mut message = Outgoing::html(chat, text.clone());
        if let Some(k) = take_keyboard_for(chat, comm.id, env) {
            message = message.with_buttons(k);
        }
        d.send_for(
            message,
            Some(Purpose::Announcement {
                comm: comm.id,
                chat,
                version: log.len(),
            }),
            None,
        );
    }
}

/// Edit the announcements already posted. Unassigned: the latest messages and the
/// Take button; otherwise "taken by" without a button. Pending edits of the same
/// announcement are replaced, not piled up.
pub(super) fn refresh_announcements(
    comm: &Communication,
    customer: &Customer,
    log: &[LogEntry],
    taken_by: Option<&str>,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let text = render::announcement(comm, customer, log, taken_by, env);
    for a in snap.announcements.iter().filter(|a| a.active) {
        if let Some(message_id) = a.message_id {
            d.send_for(
                edit_announcement(
                    a.chat_id,
                    message_id,
                    &text,
                    taken_by
                        .is_none()
                        .then(|| take_keyboard_for(a.chat_id, comm.id, env))
                        .flatten(),
                ),
                None,
                Some(format!("ann:{}:{}", comm.id, a.chat_id)),
            );
        }
    }
}

pub(super) fn edit_announcement(
    chat: ChatId,
    message_id: MessageId,
    text: &str,
    keyboard: Option<Keyboard>,
) -> Outgoing {
    Outgoing::Edit {
        chat,
        message: message_id,
        text: text.to_string(),
        format: Format::Html,
        buttons: keyboard,
    }
}
