//! The desk: opening communications, Take, relaying in both directions, release,
//! close and timeout close (what a specialist's commands and buttons lead to is
//! sorted in `staff`). Announcements are in `announce`, delivery results in
//! `delivery`, the reminder steps in `reminders`.

use super::announce::{announce, controls_keyboard, entry, ms, refresh_announcements};
use super::audit::{Actor, AuditAction, AuditEntry};
use super::reminders::{has_deadline, start_steps};
use super::{
    Change, ChatId, CommId, Communication, Customer, DeadlineKind, Decision, Env, Format, Incoming,
    Kind, LogEntry, MessageId, Outgoing, Press, Purpose, Role, Snapshot, StaffId, Status,
};
use super::{csat, render, routing};
use crate::domain::split::{MESSAGE_LIMIT, split};

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
                customer_id: customer.user.as_customer(),
                status: Status::Unassigned,
                specialist_id: None,
                opened_at: env.now,
                idle_deadline: None,
                closed_at: None,
                close_reason: None,
                department: String::new(),
                choosing: env.policy.has_departments(),
            };
            d.change(Change::Open {
                id: comm.id,
                customer: customer.user.as_customer(),
            });
            d.change(Change::Log {
                comm: comm.id,
                role: Role::Customer,
                message: m.clone(),
            });
            if comm.choosing {
                // The message is kept; the request opens in the department picked.
                d.change(Change::AwaitDepartment { comm: comm.id });
                routing::ask_department(&comm, env, d);
            } else {
                routing::open_in_queue(&comm, customer, &[this], env, d);
            }
        }
        Some(comm) if comm.choosing => routing::while_choosing(m, comm, customer, snap, env, d),
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
            if has_deadline(snap, DeadlineKind::CloseWarning) {
                d.change(Change::Unschedule {
                    comm: comm.id,
                    kind: DeadlineKind::CloseWarning,
                });
            }
            // The unanswered steps count from the first message left unanswered.
            if !has_deadline(snap, DeadlineKind::Unanswered) {
                start_steps(comm.id, DeadlineKind::Unanswered, env, d);
            }
            if let Some(specialist) = comm.specialist_id {
                relay(m, comm.id, specialist.chat(), None, snap, env, d);
            }
        }
    }
}

/// Copy a message to the other party (albums are gathered first).
fn relay(
    m: &Incoming,
    comm: CommId,
    to: ChatId,
    notify: Option<StaffId>,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    if !m.kind().copyable() {
        // The Bot API would refuse the copy: the other side learns what it was.
        d.say(to, render::not_copied(&[m.kind()], notify.is_none(), env));
        return;
    }
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
    d.send_for(
        Outgoing::Copy {
            to,
            from: m.chat_id,
            message: m.message_id,
            reply_to: snap.reply_copy,
        },
        Some(Purpose::Relay {
            comm,
            from_chat: m.chat_id,
            from_msgs: vec![m.message_id],
            to_chat: to,
            notify,
        }),
        None,
    );
}

/// The gathering window of an album is over: relay its parts together.
pub fn album_due(
    chat: ChatId,
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
    let mut ids: Vec<MessageId> = snap.album.iter().map(|(_, _, id)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    // The album came from this private chat: whose it is, is the chat's id.
    let sender = StaffId(chat.0);
    let notify = env.policy.is_specialist(sender).then_some(sender);
    for chunk in ids.chunks(100) {
        d.send_for(
            Outgoing::Copies {
                to: target,
                from: chat,
                messages: chunk.to_vec(),
            },
            Some(Purpose::Relay {
                comm,
                from_chat: chat,
                from_msgs: chunk.to_vec(),
                to_chat: target,
                notify,
            }),
            None,
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
    specialist_spoke(comm, snap, env, d);
    relay(
        m,
        comm.id,
        comm.customer_id.chat(),
        Some(m.from.as_staff()),
        snap,
        env,
        d,
    );
}

/// The specialist answered (a message or a canned answer): the timeout close and
/// its warning count from now, the unanswered steps end.
pub(super) fn specialist_spoke(
    comm: &Communication,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let close_at = env.now + ms(env.policy.idle_close);
    d.change(Change::SetDeadline {
        comm: comm.id,
        at: Some(close_at),
    });
    if has_deadline(snap, DeadlineKind::Unanswered) {
        d.change(Change::Unschedule {
            comm: comm.id,
            kind: DeadlineKind::Unanswered,
        });
    }
    let warning = env.policy.close_warning;
    if !warning.is_zero() && warning < env.policy.idle_close {
        d.change(Change::Schedule {
            comm: comm.id,
            kind: DeadlineKind::CloseWarning,
            step: 0,
            started_at: env.now,
            due_at: Some(close_at - ms(warning)),
        });
    } else if has_deadline(snap, DeadlineKind::CloseWarning) {
        d.change(Change::Unschedule {
            comm: comm.id,
            kind: DeadlineKind::CloseWarning,
        });
    }
}

/// An edited message: the other party gets an edit notice replying to the copy.
pub fn edited(m: &Incoming, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let Some(comm) = &snap.communication else {
        return;
    };
    let specialist = env.policy.is_specialist(m.from.as_staff());
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
                comm.customer_id.chat()
            } else {
                comm.specialist_id
                    .map_or(comm.customer_id.chat(), StaffId::chat)
            };
            let texts = if specialist {
                env.to_customer()
            } else {
                env.texts.staff()
            };
            let text = texts.render(
                "edited_notice",
                &[("text", m.text.as_deref().unwrap_or(""))],
            );
            let notice = Outgoing::Text {
                chat: to,
                text,
                format: Format::Html,
                buttons: None,
                reply_to: snap.edit_copy,
            };
            let purpose = specialist.then(|| Purpose::Relay {
                comm: comm.id,
                from_chat: m.chat_id,
                from_msgs: Vec::new(),
                to_chat: to,
                notify: Some(m.from.as_staff()),
            });
            d.send_for(notice, purpose, None);
        }
        _ => {}
    }
}

/// What a specialist does with their own active communication.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Own {
    Current,
    Release,
    Close,
}

/// Current / release / close of the specialist's own active communication.
pub(super) fn own_action(
    what: Own,
    me: StaffId,
    chat: ChatId,
    press: Option<&Press>,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let active = snap
        .communication
        .as_ref()
        .filter(|c| c.status == Status::Assigned && c.specialist_id == Some(me));
    if let Some(press) = press {
        d.answer(press, String::new(), false);
    }
    let Some(comm) = active else {
        d.say(chat, env.texts.render("no_active", &[]));
        return;
    };
    match what {
        Own::Release => release(comm, me, snap, env, d),
        Own::Close => close(comm, CloseBy::Specialist, env, d),
        Own::Current => {
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

pub(super) fn take(
    press: &Press,
    me: StaffId,
    n: CommId,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let id_text = n.to_string();
    let Some(comm) = snap
        .communication
        .as_ref()
        .filter(|c| c.id == n && c.status != Status::Closed)
    else {
        d.answer(
            press,
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
        d.answer(press, text, true);
        return;
    }
    if !env.policy.may_take(me, &comm.department) {
        let name = env
            .policy
            .department(&comm.department)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        d.answer(
            press,
            env.texts.render_plain(
                "take_other_department",
                &[("id", &id_text), ("department", &name)],
            ),
            true,
        );
        return;
    }
    if let Some(active) = snap.actor_active {
        d.answer(
            press,
            env.texts
                .render_plain("take_busy", &[("id", &active.to_string())]),
            true,
        );
        return;
    }
    let Some(customer) = &snap.customer else {
        d.answer(
            press,
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
    d.audit(AuditEntry::new(
        Actor::Staff(me),
        AuditAction::Take,
        Some(comm.id),
    ));
    // A Take ends the unassigned steps (the store drops them with the assignment);
    // a customer who wrote last waits for an answer from now on.
    let customer_wrote_last = snap
        .log
        .iter()
        .rev()
        .find(|e| e.kind != Kind::Edit)
        .is_some_and(|e| e.role == Role::Customer);
    if customer_wrote_last {
        start_steps(comm.id, DeadlineKind::Unanswered, env, d);
    }
    d.answer(
        press,
        env.texts.render_plain("take_ok", &[("id", &id_text)]),
        false,
    );
    hand_over(comm, me, customer, snap, env, d);
    // The customer.
    d.tell_customer(
        customer.user.as_customer(),
        env.to_customer()
            .render("specialist_assigned", &[("name", &name)]),
    );
    // The groups: told, and the announcement loses its button.
    refresh_announcements(comm, customer, &snap.log, Some(&name), snap, env, d);
    d.change(Change::DeactivateAnnouncements { comm: comm.id });
    for chat in env.watchers_of(comm) {
        d.say(
            chat,
            env.texts
                .render("taken_notice", &[("id", &id_text), ("name", &name)]),
        );
    }
}

/// The specialist who now holds a communication (by Take or transfer): the card with
/// its controls, then the whole history.
pub(super) fn hand_over(
    comm: &Communication,
    to: StaffId,
    customer: &Customer,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let mut assigned = comm.clone();
    assigned.status = Status::Assigned;
    assigned.specialist_id = Some(to);
    // The first message to them: refused, it undoes the Take (SPEC §10).
    d.send_for(
        Outgoing::html(to.chat(), render::card(&assigned, customer, env))
            .with_buttons(controls_keyboard(comm.id, env)),
        Some(Purpose::HandOver {
            comm: comm.id,
            specialist: to,
        }),
        None,
    );
    send_history(comm.id, to.chat(), customer, snap, env, d);
}

/// The history so far, for the specialist who takes a communication: a text
/// summary (internal notes included, marked), then copies of the messages
/// themselves (media included), in order.
fn send_history(
    comm: CommId,
    to: ChatId,
    customer: &Customer,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let messages: Vec<&LogEntry> = snap
        .log
        .iter()
        .filter(|e| e.kind.is_chat_message() && e.message_id.0 > 0)
        .collect();
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
    let mut runs: Vec<(ChatId, Vec<MessageId>)> = Vec::new();
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
        d.send_for(
            Outgoing::Copies {
                to,
                from: chat,
                messages: ids.clone(),
            },
            Some(Purpose::Relay {
                comm,
                from_chat: chat,
                from_msgs: ids,
                to_chat: to,
                notify: None,
            }),
            None,
        );
    }
}

pub(super) fn release(
    comm: &Communication,
    me: StaffId,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let id_text = comm.id.to_string();
    d.audit(AuditEntry::new(
        Actor::Staff(me),
        AuditAction::Release,
        Some(comm.id),
    ));
    d.say(me.chat(), env.texts.render("released", &[("id", &id_text)]));
    back_to_queue(comm, snap, env, d);
    for chat in env.watchers_of(comm) {
        d.say(
            chat,
            env.texts.render(
                "released_notice",
                &[("id", &id_text), ("name", &env.specialist_name(me))],
            ),
        );
    }
}

/// An assigned communication goes back to the queue: the customer is told, it is
/// announced again with its Take button, and its unassigned steps start again.
pub(super) fn back_to_queue(
    comm: &Communication,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    d.change(Change::Release { comm: comm.id });
    if let Some(customer) = &snap.customer {
        d.tell_customer(
            customer.user.as_customer(),
            env.to_customer().render("back_in_queue", &[]),
        );
        let mut back = comm.clone();
        back.status = Status::Unassigned;
        back.specialist_id = None;
        announce(&back, customer, &snap.log, env, d);
    }
    // Back in the queue: the unassigned steps start again (the store dropped the
    // assigned communication's deadlines with the release).
    start_steps(comm.id, DeadlineKind::Unassigned, env, d);
}

/// Who or what closes a communication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CloseBy {
    Specialist,
    Timeout,
    /// A member of the staff blocked the customer (SPEC §7.5).
    Block(StaffId),
}

impl CloseBy {
    /// The stored close reason.
    fn reason(self) -> &'static str {
        match self {
            CloseBy::Specialist => "closed by the specialist",
            CloseBy::Timeout => "timeout",
            CloseBy::Block(_) => "blocked",
        }
    }

    /// Whether the customer is asked to rate the help afterwards (SPEC §6.5): after
    /// a close by the specialist or by timeout, yes; never after a block.
    fn asks_for_rating(self) -> bool {
        match self {
            CloseBy::Specialist | CloseBy::Timeout => true,
            CloseBy::Block(_) => false,
        }
    }

    /// The close in the audit log (SPEC §7.6): `close` by whoever closed it, with
    /// the reason as exported (`specialist`, `timeout`, `blocked`); a timeout is
    /// `timeout_close` by `system`, naming the specialist who held it.
    fn audit(self, comm: &Communication) -> AuditEntry {
        match self {
            CloseBy::Specialist => AuditEntry::new(
                comm.specialist_id.map_or(Actor::System, Actor::Staff),
                AuditAction::Close,
                Some(comm.id),
            )
            .detail("reason", "specialist"),
            CloseBy::Timeout => {
                AuditEntry::new(Actor::System, AuditAction::TimeoutClose, Some(comm.id))
                    .detail("reason", "timeout")
                    .detail_opt("specialist", comm.specialist_id)
            }
            CloseBy::Block(by) => {
                AuditEntry::new(Actor::Staff(by), AuditAction::Close, Some(comm.id))
                    .detail("reason", "blocked")
            }
        }
    }
}

pub(super) fn close(comm: &Communication, by: CloseBy, env: &Env<'_>, d: &mut Decision) {
    let timeout = by == CloseBy::Timeout;
    let blocked = matches!(by, CloseBy::Block(_));
    let id_text = comm.id.to_string();
    d.change(Change::Close {
        comm: comm.id,
        reason: by.reason().to_string(),
    });
    d.audit(by.audit(comm));
    d.change(Change::DeactivateAnnouncements { comm: comm.id });
    let name = comm
        .specialist_id
        .map(|s| env.specialist_name(s))
        .unwrap_or_default();
    if let Some(s) = comm.specialist_id {
        let key = match by {
            CloseBy::Timeout => "closed_timeout_specialist",
            CloseBy::Specialist => "closed_specialist",
            CloseBy::Block(_) => "closed_blocked_specialist",
        };
        d.say(s.chat(), env.texts.render(key, &[("id", &id_text)]));
    }
    // A blocked customer gets the `blocked` text instead (see `toolbox`).
    if !blocked {
        let customer_key = if timeout {
            "closed_timeout_customer"
        } else {
            "closed_customer"
        };
        d.tell_customer(
            comm.customer_id,
            env.to_customer().render(customer_key, &[("id", &id_text)]),
        );
    }
    let notice = match by {
        CloseBy::Timeout => "closed_timeout_notice",
        CloseBy::Specialist => "closed_notice",
        CloseBy::Block(_) => "closed_blocked_notice",
    };
    for chat in env.watchers_of(comm) {
        d.say(
            chat,
            env.texts
                .render(notice, &[("id", &id_text), ("name", &name)]),
        );
    }
    if by.asks_for_rating() && env.policy.csat.enabled {
        csat::ask(comm, env, d);
    }
}

/// A communication's idle deadline passed: close it if it is still due.
pub fn idle_timeout(snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    if let Some(comm) = &snap.communication
        && comm.status == Status::Assigned
        && comm.idle_deadline.is_some_and(|t| t <= env.now)
    {
        close(comm, CloseBy::Timeout, env, d);
    }
}
