//! What the result of a sent message leads to: an announcement's message id
//! recorded (and the announcement brought up to date), copies mapped for replies
//! and edits, refusals turned into notices.

use super::announce::{edit_announcement, take_keyboard_for};
use super::{Change, CustomerId, Decision, Env, MessageId, Purpose, Snapshot, StaffId, Status};
use super::{render, wild};

/// An outbox call with a purpose went through.
pub fn delivered(
    purpose: &Purpose,
    copies: &[MessageId],
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
            let Some(&message_id) = copies.first() else {
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
                d.send(edit_announcement(*chat, message_id, &text, None));
            } else if snap.log.len() != *version {
                let text = render::announcement(c, customer, &snap.log, None, env);
                d.send_for(
                    edit_announcement(
                        *chat,
                        message_id,
                        &text,
                        take_keyboard_for(*chat, c.id, env),
                    ),
                    None,
                    Some(format!("ann:{}:{}", c.id, chat)),
                );
            }
        }
        Purpose::Relay {
            comm,
            from_chat,
            from_msgs,
            to_chat,
            ..
        } => {
            for (orig, copy) in from_msgs.iter().zip(copies.iter().copied()) {
                d.change(Change::MapCopy {
                    comm: *comm,
                    orig_chat: *from_chat,
                    orig_msg: *orig,
                    copy_chat: *to_chat,
                    copy_msg: copy,
                });
            }
        }
        Purpose::Survey { comm, .. } => {
            if let Some(&message_id) = copies.first() {
                d.change(Change::SurveySent {
                    comm: *comm,
                    message_id,
                });
            }
        }
        Purpose::Notice { .. } | Purpose::HandOver { .. } => {}
    }
}

/// An outbox call with a purpose was refused for good.
pub fn delivery_failed(
    purpose: &Purpose,
    code: u16,
    description: &str,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    match purpose {
        Purpose::Relay {
            from_chat,
            from_msgs,
            to_chat,
            notify,
            ..
        } if wild::is_copy_refusal(code, description) => {
            // The other side learns what could not be forwarded (SPEC §10); a
            // specialist whose message it was also learns why.
            let kinds = wild::kinds_of(snap, *from_chat, from_msgs);
            d.say(*to_chat, render::not_copied(&kinds, notify.is_none(), env));
            if let Some(specialist) = notify {
                not_delivered(*specialist, description, env, d);
            }
        }
        Purpose::Relay {
            notify: Some(specialist),
            to_chat,
            ..
        } => {
            if code == 403 {
                // The relay went to the customer's private chat: its id is theirs.
                wild::customer_unreachable(CustomerId(to_chat.0), Some(*specialist), snap, env, d);
            } else {
                not_delivered(*specialist, description, env, d);
            }
        }
        Purpose::Notice { customer } | Purpose::Survey { customer, .. } if code == 403 => {
            wild::customer_unreachable(*customer, None, snap, env, d);
        }
        Purpose::HandOver { comm, specialist } if code == 403 => {
            wild::specialist_unreachable(*comm, *specialist, snap, env, d);
        }
        _ => {}
    }
}

/// Tell the specialist their message did not reach the customer, and why.
fn not_delivered(specialist: StaffId, reason: &str, env: &Env<'_>, d: &mut Decision) {
    d.say(
        specialist.chat(),
        env.texts.render("not_delivered", &[("reason", reason)]),
    );
}
