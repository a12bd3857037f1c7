//! The desk: opening and announcing communications, Take, relaying in both
//! directions, release, close and timeout close.

use serde_json::{Value, json};

use super::callback::{CallbackData, MenuItem};
use super::{
    Change, Communication, Customer, Decision, Effect, Env, Incoming, Kind, LogEntry, Purpose,
    Role, Snapshot, Status, User, keyboard, purpose_json,
};
use super::{menus, render};
use crate::domain::split::{MESSAGE_LIMIT, split};
use crate::telegram::{Call, ParseMode};

/// The Take button, for a chat whose members may take (service groups and
/// specialists; not controllers who only watch).
fn take_keyboard_for(chat: i64, comm: i64, env: &Env<'_>) -> Option<Value> {
    let watcher_only = env.config.is_controller(chat) && !env.config.is_specialist(chat);
    (!watcher_only).then(|| take_keyboard(comm, env))
}

fn take_keyboard(comm: i64, env: &Env<'_>) -> Value {
    keyboard(&[&[(
        env.texts.render_plain("button_take", &[]),
        CallbackData::Take(comm).encode(),
    )]])
}

fn controls_keyboard(comm: i64, env: &Env<'_>) -> Value {
    keyboard(&[&[
        (
            env.texts.render_plain("button_release", &[]),
            CallbackData::Release(comm).encode(),
        ),
        (
            env.texts.render_plain("button_close", &[]),
            CallbackData::Close(comm).encode(),
        ),
    ]])
}

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// The log entry a message will become (for rendering before the store has it).
fn entry(m: &Incoming, role: Role, env: &Env<'_>) -> LogEntry {
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
fn announce(
    comm: &Communication,
    customer: &Customer,
    log: &[LogEntry],
    env: &Env<'_>,
    d: &mut Decision,
) {
    let text = render::announcement(comm, customer, log, None, env);
    for chat in env.watchers() {
        d.change(Change::NewAnnouncement {
            comm: comm.id,
            chat,
        });
        let mut call = Call::send_message(chat, text.clone(), ParseMode::Html).with_purpose(
            purpose_json(&Purpose::Announcement {
                comm: comm.id,
                chat,
                version: log.len(),
            }),
        );
        if let Some(k) = take_keyboard_for(chat, comm.id, env) {
            call = call.with_param("reply_markup", k);
        }
        d.call(call);
    }
}

/// Edit the announcements already posted. Unassigned: the latest messages and the
/// Take button; otherwise "taken by" without a button. Pending edits of the same
/// announcement are replaced, not piled up.
fn refresh_announcements(
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
            d.effects.push(Effect::Telegram {
                call: edit_announcement(
                    a.chat_id,
                    message_id,
                    &text,
                    taken_by
                        .is_none()
                        .then(|| take_keyboard_for(a.chat_id, comm.id, env))
                        .flatten(),
                ),
                coalesce: Some(format!("ann:{}:{}", comm.id, a.chat_id)),
            });
        }
    }
}

fn edit_announcement(chat: i64, message_id: i64, text: &str, keyboard: Option<Value>) -> Call {
    let mut params = json!({
        "chat_id": chat,
        "message_id": message_id,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": { "is_disabled": true },
    });
    if let Some(k) = keyboard {
        params["reply_markup"] = k;
    }
    Call::new("editMessageText", Some(chat), params)
}

/// A verified customer writes.
pub fn customer_request(
    m: &Incoming,
    customer: &Customer,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let this = entry(m, Role::Customer, env);
    match &snap.communication {
        None => {
            let comm = Communication {
                id: snap.next_communication_id,
                customer_id: customer.user.id,
                status: Status::Unassigned,
                specialist_id: None,
                opened_at: env.now,
                idle_deadline: None,
                closed_at: None,
                close_reason: None,
            };
            d.change(Change::Open {
                id: comm.id,
                customer: customer.user.id,
            });
            d.change(Change::Log {
                comm: comm.id,
                role: Role::Customer,
                message: m.clone(),
            });
            announce(&comm, customer, &[this], env, d);
            d.tell_customer(
                customer.user.id,
                env.texts
                    .render("request_received", &[("id", &comm.id.to_string())]),
            );
        }
        Some(comm) if comm.status == Status::Unassigned => {
            d.change(Change::Log {
                comm: comm.id,
                role: Role::Customer,
                message: m.clone(),
            });
            let mut log = snap.log.clone();
            log.push(this);
            refresh_announcements(comm, customer, &log, None, snap, env, d);
        }
        Some(comm) => {
            d.change(Change::Log {
                comm: comm.id,
                role: Role::Customer,
                message: m.clone(),
            });
            // The last word is the customer's: no timeout close.
            if comm.idle_deadline.is_some() {
                d.change(Change::SetDeadline {
                    comm: comm.id,
                    at: None,
                });
            }
            if let Some(specialist) = comm.specialist_id {
                relay(m, comm.id, specialist, None, snap, d);
            }
        }
    }
}

/// Copy a message to the other party (albums are gathered first).
fn relay(m: &Incoming, comm: i64, to: i64, notify: Option<i64>, snap: &Snapshot, d: &mut Decision) {
    if let Some(group) = &m.media_group_id {
        d.change(Change::AlbumPart {
            comm,
            chat: m.chat_id,
            media_group_id: group.clone(),
            message_id: m.message_id,
            target: to,
        });
        return;
    }
    let mut params = json!({
        "chat_id": to,
        "from_chat_id": m.chat_id,
        "message_id": m.message_id,
    });
    if let Some(reply) = snap.reply_copy {
        params["reply_parameters"] =
            json!({ "message_id": reply, "allow_sending_without_reply": true });
    }
    d.call(
        Call::new("copyMessage", Some(to), params).with_purpose(purpose_json(&Purpose::Relay {
            comm,
            from_chat: m.chat_id,
            from_msgs: vec![m.message_id],
            to_chat: to,
            notify,
        })),
    );
}

/// The gathering window of an album is over: relay its parts together.
pub fn album_due(
    chat: i64,
    media_group_id: &str,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let Some(&(comm, target, _)) = snap.album.first() else {
        return;
    };
    d.change(Change::AlbumSent {
        chat,
        media_group_id: media_group_id.to_string(),
    });
    let mut ids: Vec<i64> = snap.album.iter().map(|(_, _, id)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let notify = env.config.is_specialist(chat).then_some(chat);
    for chunk in ids.chunks(100) {
        d.call(
            Call::new(
                "copyMessages",
                Some(target),
                json!({ "chat_id": target, "from_chat_id": chat, "message_ids": chunk }),
            )
            .with_purpose(purpose_json(&Purpose::Relay {
                comm,
                from_chat: chat,
                from_msgs: chunk.to_vec(),
                to_chat: target,
                notify,
            })),
        );
    }
}

/// A specialist writes the bot (not a command).
pub fn specialist_message(m: &Incoming, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let Some(comm) = snap
        .communication
        .as_ref()
        .filter(|c| c.status == Status::Assigned)
    else {
        d.say(m.chat_id, env.texts.render("no_active", &[]));
        return;
    };
    d.change(Change::Log {
        comm: comm.id,
        role: Role::Specialist,
        message: m.clone(),
    });
    d.change(Change::SetDeadline {
        comm: comm.id,
        at: Some(env.now + ms(env.config.timeouts.idle_close)),
    });
    relay(m, comm.id, comm.customer_id, Some(m.from.id), snap, d);
}

/// An edited message: the other party gets an edit notice replying to the copy.
pub fn edited(m: &Incoming, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let Some(comm) = &snap.communication else {
        return;
    };
    let specialist = env.config.is_specialist(m.from.id);
    let role = if specialist {
        Role::Specialist
    } else {
        Role::Customer
    };
    let mut edit = m.clone();
    edit.kind = Some(Kind::Edit);
    edit.file = None;
    edit.media_group_id = None;
    d.change(Change::Log {
        comm: comm.id,
        role,
        message: edit.clone(),
    });
    match comm.status {
        Status::Unassigned if !specialist => {
            if let Some(customer) = &snap.customer {
                let mut log = snap.log.clone();
                log.push(entry(&edit, role, env));
                refresh_announcements(comm, customer, &log, None, snap, env, d);
            }
        }
        Status::Assigned => {
            let to = if specialist {
                comm.customer_id
            } else {
                comm.specialist_id.unwrap_or(comm.customer_id)
            };
            let text = env.texts.render(
                "edited_notice",
                &[("text", m.text.as_deref().unwrap_or(""))],
            );
            let mut call = Call::send_message(to, text, ParseMode::Html);
            if let Some(copy) = snap.edit_copy {
                call = call.with_param(
                    "reply_parameters",
                    json!({ "message_id": copy, "allow_sending_without_reply": true }),
                );
            }
            if specialist {
                call = call.with_purpose(purpose_json(&Purpose::Relay {
                    comm: comm.id,
                    from_chat: m.chat_id,
                    from_msgs: Vec::new(),
                    to_chat: to,
                    notify: Some(m.from.id),
                }));
            }
            d.call(call);
        }
        _ => {}
    }
}

pub fn specialist_command(
    from: &User,
    chat: i64,
    name: &str,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    match name {
        "start" => d.say(
            chat,
            env.texts.render(
                "specialist_greeting",
                &[("name", &env.specialist_name(from.id))],
            ),
        ),
        "service" => menus::service_menu(chat, env, d),
        "release" | "close" | "current" => own_action(name, from.id, chat, None, snap, env, d),
        "unassigned" => menus::unassigned(chat, snap, env, d),
        "users" => menus::users(chat, None, None, snap, env, d),
        "history" => menus::history_picker(chat, None, None, snap, env, d),
        _ => d.say(chat, env.texts.render("unknown_command", &[])),
    }
}

/// Current / release / close of the specialist's own active communication.
fn own_action(
    what: &str,
    me: i64,
    chat: i64,
    callback: Option<&str>,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let active = snap
        .communication
        .as_ref()
        .filter(|c| c.status == Status::Assigned && c.specialist_id == Some(me));
    if let Some(id) = callback {
        d.answer(id, String::new(), false);
    }
    let Some(comm) = active else {
        d.say(chat, env.texts.render("no_active", &[]));
        return;
    };
    match what {
        "release" => release(comm, me, snap, env, d),
        "close" => close(comm, "closed by the specialist", false, env, d),
        _ => {
            if let Some(customer) = &snap.customer {
                d.say_with(
                    chat,
                    render::card(comm, customer, env),
                    controls_keyboard(comm.id, env),
                );
            }
        }
    }
}

pub fn specialist_button(
    id: &str,
    from: &User,
    origin: Option<(i64, i64)>,
    data: &CallbackData,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let me = from.id;
    // Lists and menus answer in the specialist's private chat.
    let chat = me;
    let target = snap.communication.as_ref();
    match data {
        CallbackData::Take(n) => take(id, me, *n, snap, env, d),
        CallbackData::Release(n) | CallbackData::Close(n) => {
            let Some(comm) = target.filter(|c| {
                c.id == *n && c.status == Status::Assigned && c.specialist_id == Some(me)
            }) else {
                d.answer(
                    id,
                    env.texts
                        .render_plain("not_yours", &[("id", &n.to_string())]),
                    true,
                );
                return;
            };
            d.answer(id, String::new(), false);
            if matches!(data, CallbackData::Release(_)) {
                release(comm, me, snap, env, d);
            } else {
                close(comm, "closed by the specialist", false, env, d);
            }
        }
        CallbackData::Menu(MenuItem::Current) => {
            own_action("current", me, chat, Some(id), snap, env, d)
        }
        CallbackData::Menu(MenuItem::Release) => {
            own_action("release", me, chat, Some(id), snap, env, d)
        }
        CallbackData::Menu(MenuItem::Close) => {
            own_action("close", me, chat, Some(id), snap, env, d)
        }
        CallbackData::Menu(MenuItem::Unassigned) => {
            d.answer(id, String::new(), false);
            menus::unassigned(chat, snap, env, d);
        }
        // A first page opens as a new message; turning pages edits it in place.
        CallbackData::Users { after: 0 } => menus::users(chat, None, Some(id), snap, env, d),
        CallbackData::Users { .. } | CallbackData::UsersBack { .. } => {
            menus::users(chat, origin, Some(id), snap, env, d)
        }
        CallbackData::History { after: 0 } => {
            menus::history_picker(chat, None, Some(id), snap, env, d)
        }
        CallbackData::History { .. } | CallbackData::HistoryBack { .. } => {
            menus::history_picker(chat, origin, Some(id), snap, env, d)
        }
        CallbackData::HistoryOf(_) => menus::history_of(chat, id, snap, env, d),
        CallbackData::ArchiveLast(_) | CallbackData::ArchiveShow(_) => {
            menus::archive_show(chat, id, snap, env, d)
        }
        CallbackData::ArchiveList { customer, before } => {
            let origin = if *before == 0 { None } else { origin };
            menus::archive_list(chat, origin, id, *customer, snap, env, d)
        }
        CallbackData::ArchiveZip(_) => menus::archive_zip(chat, id, snap, env, d),
        CallbackData::Noop => d.answer(id, String::new(), false),
        CallbackData::ChangeEmail | CallbackData::ResendCode => {
            d.answer(id, env.texts.render_plain("button_unknown", &[]), false)
        }
    }
}

fn take(callback: &str, me: i64, n: i64, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let id_text = n.to_string();
    let Some(comm) = snap
        .communication
        .as_ref()
        .filter(|c| c.id == n && c.status != Status::Closed)
    else {
        d.answer(
            callback,
            env.texts.render_plain("take_gone", &[("id", &id_text)]),
            true,
        );
        return;
    };
    if let Some(owner) = comm.specialist_id {
        let text = if owner == me {
            env.texts.render("take_already_yours", &[("id", &id_text)])
        } else {
            env.texts.render(
                "take_taken",
                &[("id", &id_text), ("name", &env.specialist_name(owner))],
            )
        };
        d.answer(callback, text, true);
        return;
    }
    if let Some(active) = snap.actor_active {
        d.answer(
            callback,
            env.texts
                .render_plain("take_busy", &[("id", &active.to_string())]),
            true,
        );
        return;
    }
    let Some(customer) = &snap.customer else {
        d.answer(
            callback,
            env.texts.render_plain("take_gone", &[("id", &id_text)]),
            true,
        );
        return;
    };
    let name = env.specialist_name(me);
    d.change(Change::Assign {
        comm: comm.id,
        specialist: me,
    });
    d.answer(
        callback,
        env.texts.render_plain("take_ok", &[("id", &id_text)]),
        false,
    );
    // The specialist: the card with Release/Close, then the whole history.
    let mut assigned = comm.clone();
    assigned.status = Status::Assigned;
    assigned.specialist_id = Some(me);
    d.say_with(
        me,
        render::card(&assigned, customer, env),
        controls_keyboard(comm.id, env),
    );
    send_history(comm.id, me, customer, snap, env, d);
    // The customer.
    d.tell_customer(
        customer.user.id,
        env.texts.render("specialist_assigned", &[("name", &name)]),
    );
    // The groups: told, and the announcement loses its button.
    refresh_announcements(comm, customer, &snap.log, Some(&name), snap, env, d);
    d.change(Change::DeactivateAnnouncements { comm: comm.id });
    for chat in env.watchers() {
        d.say(
            chat,
            env.texts
                .render("taken_notice", &[("id", &id_text), ("name", &name)]),
        );
    }
}

/// The history so far, for the specialist who takes a communication: a text
/// summary, then copies of the messages themselves (media included), in order.
fn send_history(
    comm: i64,
    to: i64,
    customer: &Customer,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let messages: Vec<&LogEntry> = snap.log.iter().filter(|e| e.kind != Kind::Edit).collect();
    if snap.log.is_empty() {
        return;
    }
    let lines: Vec<String> = snap
        .log
        .iter()
        .map(|e| render::log_line(e, customer, env))
        .collect();
    let header = env
        .texts
        .render("history_header", &[("count", &messages.len().to_string())]);
    // Lines are whole HTML lines, so packing whole lines never breaks markup.
    let mut chunk = header;
    for line in lines {
        if crate::domain::split::utf16_len(&chunk) + crate::domain::split::utf16_len(&line) + 1
            > MESSAGE_LIMIT - 16
        {
            d.say(to, std::mem::take(&mut chunk));
        }
        if !chunk.is_empty() {
            chunk.push('\n');
        }
        chunk.push_str(&line);
    }
    if !chunk.is_empty() {
        for part in split(&chunk, MESSAGE_LIMIT) {
            d.say(to, part);
        }
    }
    // Copies, grouped in runs from the same chat (copyMessages takes one source chat
    // and at most 100 increasing ids).
    let mut runs: Vec<(i64, Vec<i64>)> = Vec::new();
    for e in messages {
        match runs.last_mut() {
            Some((chat, ids))
                if *chat == e.chat_id
                    && ids.len() < 100
                    && ids.last().is_some_and(|l| *l < e.message_id) =>
            {
                ids.push(e.message_id)
            }
            _ => runs.push((e.chat_id, vec![e.message_id])),
        }
    }
    for (chat, ids) in runs {
        d.call(
            Call::new(
                "copyMessages",
                Some(to),
                json!({ "chat_id": to, "from_chat_id": chat, "message_ids": ids }),
            )
            .with_purpose(purpose_json(&Purpose::Relay {
                comm,
                from_chat: chat,
                from_msgs: ids.clone(),
                to_chat: to,
                notify: None,
            })),
        );
    }
}

fn release(comm: &Communication, me: i64, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let id_text = comm.id.to_string();
    d.change(Change::Release { comm: comm.id });
    d.say(me, env.texts.render("released", &[("id", &id_text)]));
    if let Some(customer) = &snap.customer {
        d.tell_customer(customer.user.id, env.texts.render("back_in_queue", &[]));
        let mut back = comm.clone();
        back.status = Status::Unassigned;
        back.specialist_id = None;
        announce(&back, customer, &snap.log, env, d);
    }
    for chat in env.watchers() {
        d.say(
            chat,
            env.texts.render(
                "released_notice",
                &[("id", &id_text), ("name", &env.specialist_name(me))],
            ),
        );
    }
}

fn close(comm: &Communication, reason: &str, timeout: bool, env: &Env<'_>, d: &mut Decision) {
    let id_text = comm.id.to_string();
    d.change(Change::Close {
        comm: comm.id,
        reason: reason.to_string(),
    });
    d.change(Change::DeactivateAnnouncements { comm: comm.id });
    let name = comm
        .specialist_id
        .map(|s| env.specialist_name(s))
        .unwrap_or_default();
    if let Some(s) = comm.specialist_id {
        let key = if timeout {
            "closed_timeout_specialist"
        } else {
            "closed_specialist"
        };
        d.say(s, env.texts.render(key, &[("id", &id_text)]));
    }
    let customer_key = if timeout {
        "closed_timeout_customer"
    } else {
        "closed_customer"
    };
    d.tell_customer(
        comm.customer_id,
        env.texts.render(customer_key, &[("id", &id_text)]),
    );
    let notice = if timeout {
        "closed_timeout_notice"
    } else {
        "closed_notice"
    };
    for chat in env.watchers() {
        d.say(
            chat,
            env.texts
                .render(notice, &[("id", &id_text), ("name", &name)]),
        );
    }
}

/// A communication's idle deadline passed: close it if it is still due.
pub fn idle_timeout(snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    if let Some(comm) = &snap.communication
        && comm.status == Status::Assigned
        && comm.idle_deadline.is_some_and(|t| t <= env.now)
    {
        close(comm, "timeout", true, env, d);
    }
}

/// An outbox call with a purpose went through.
pub fn delivered(
    purpose: &Purpose,
    result: &Value,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    match purpose {
        Purpose::Announcement {
            comm,
            chat,
            version,
        } => {
            let Some(message_id) = result.get("message_id").and_then(Value::as_i64) else {
                return;
            };
            d.change(Change::AnnouncementSent {
                comm: *comm,
                chat: *chat,
                message_id,
            });
            let (Some(c), Some(customer)) = (&snap.communication, &snap.customer) else {
                return;
            };
            let still_active = snap
                .announcements
                .iter()
                .any(|a| a.chat_id == *chat && a.active);
            if c.status != Status::Unassigned || !still_active {
                // Taken (or closed) while the announcement was on its way.
                let taken_by = c.specialist_id.map(|s| env.specialist_name(s));
                let text = render::announcement(
                    c,
                    customer,
                    &snap.log,
                    Some(taken_by.as_deref().unwrap_or("—")),
                    env,
                );
                d.call(edit_announcement(*chat, message_id, &text, None));
            } else if snap.log.len() != *version {
                let text = render::announcement(c, customer, &snap.log, None, env);
                d.effects.push(Effect::Telegram {
                    call: edit_announcement(
                        *chat,
                        message_id,
                        &text,
                        take_keyboard_for(*chat, c.id, env),
                    ),
                    coalesce: Some(format!("ann:{}:{}", c.id, chat)),
                });
            }
        }
        Purpose::Relay {
            comm,
            from_chat,
            from_msgs,
            to_chat,
            ..
        } => {
            let copies: Vec<i64> = match result {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.get("message_id").and_then(Value::as_i64))
                    .collect(),
                other => other
                    .get("message_id")
                    .and_then(Value::as_i64)
                    .into_iter()
                    .collect(),
            };
            for (orig, copy) in from_msgs.iter().zip(copies) {
                d.change(Change::MapCopy {
                    comm: *comm,
                    orig_chat: *from_chat,
                    orig_msg: *orig,
                    copy_chat: *to_chat,
                    copy_msg: copy,
                });
            }
        }
        Purpose::Notice { .. } => {}
    }
}

/// An outbox call with a purpose was refused for good.
pub fn delivery_failed(
    purpose: &Purpose,
    code: u16,
    description: &str,
    _snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    match purpose {
        Purpose::Relay {
            notify: Some(specialist),
            to_chat,
            ..
        } => {
            if code == 403 {
                d.change(Change::MarkBlocked { customer: *to_chat });
                d.say(*specialist, env.texts.render("not_delivered_blocked", &[]));
            } else {
                d.say(
                    *specialist,
                    env.texts
                        .render("not_delivered", &[("reason", description)]),
                );
            }
        }
        Purpose::Notice { customer } if code == 403 => {
            d.change(Change::MarkBlocked {
                customer: *customer,
            });
        }
        _ => {}
    }
}
