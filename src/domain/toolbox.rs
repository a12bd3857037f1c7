//! The specialist's toolbox (SPEC §7): transfer to a colleague or a department's
//! queue, internal notes, canned answers, and blocking customers.

use super::announce::announce;
use super::audit::{Actor, AuditAction, AuditEntry};
use super::desk::{CloseBy, close, hand_over, specialist_spoke};
use super::reminders::start_steps;
use super::texts::escape_html;
use super::{
    Button, Change, CommId, Communication, Customer, DeadlineKind, Decision, Env, Incoming, Key,
    Keyboard, Kind, Outgoing, Press, Purpose, Snapshot, StaffId, Status, Target, User,
};

/// The acting specialist's active communication, if the snapshot holds it.
fn active(me: StaffId, snap: &Snapshot) -> Option<&Communication> {
    snap.communication
        .as_ref()
        .filter(|c| c.status == Status::Assigned && c.specialist_id == Some(me))
}

/// `/transfer`, or its button: the other specialists (of the same department
/// first, the busy ones marked) and the other departments' queues.
pub(super) fn transfer_list(
    me: StaffId,
    press: Option<&Press>,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    if let Some(press) = press {
        d.answer(press, String::new(), false);
    }
    let Some(comm) = active(me, snap) else {
        d.say(me.chat(), env.texts.render("no_active", &[]));
        return;
    };
    let policy = env.policy;
    let same_department = |s: StaffId| {
        policy
            .department(&comm.department)
            .is_none_or(|dep| dep.specialists.contains(&s))
    };
    let mut others: Vec<&super::Member> = policy
        .specialists
        .iter()
        .filter(|s| s.chat_id != me)
        .collect();
    // A stable sort keeps the configuration's order within each group.
    others.sort_by_key(|s| !same_department(s.chat_id));
    let mut rows: Vec<Vec<Key>> = others
        .iter()
        .map(|s| {
            let busy = snap.busy.iter().any(|(b, _)| *b == s.chat_id);
            let label = if busy {
                env.texts
                    .render_plain("transfer_busy_label", &[("name", &s.name)])
            } else {
                s.name.clone()
            };
            vec![Key::new(
                label,
                Button::TransferTo {
                    comm: comm.id,
                    to: s.chat_id,
                },
            )]
        })
        .collect();
    if policy.has_departments() {
        for (i, dep) in policy.departments.iter().enumerate() {
            if dep.key == comm.department {
                continue;
            }
            rows.push(vec![Key::new(
                env.texts
                    .render_plain("transfer_queue_label", &[("department", &dep.name)]),
                Button::TransferQueue {
                    comm: comm.id,
                    department: u16::try_from(i + 1).unwrap_or(u16::MAX),
                },
            )]);
        }
    }
    if rows.is_empty() {
        d.say(me.chat(), env.texts.render("transfer_nobody", &[]));
        return;
    }
    d.say_with(
        me.chat(),
        env.texts
            .render("transfer_choose", &[("id", &comm.id.to_string())]),
        Keyboard(rows),
    );
}

/// The communication named by a transfer button, if it is still the presser's.
fn own_named<'a>(
    press: &Press,
    me: StaffId,
    n: CommId,
    snap: &'a Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) -> Option<&'a Communication> {
    let comm = active(me, snap).filter(|c| c.id == n);
    if comm.is_none() {
        d.answer(
            press,
            env.texts
                .render_plain("not_yours", &[("id", &n.to_string())]),
            true,
        );
    }
    comm
}

/// Transfer communication `n` to specialist `to` (SPEC §7.1).
pub(super) fn transfer_to(
    press: &Press,
    me: StaffId,
    n: CommId,
    to: StaffId,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let Some(comm) = own_named(press, me, n, snap, env, d) else {
        return;
    };
    let refuse = |key: &str, d: &mut Decision| {
        d.answer(
            press,
            env.texts.render_plain(
                key,
                &[("id", &n.to_string()), ("name", &env.specialist_name(to))],
            ),
            true,
        );
    };
    if to == me || !env.policy.is_specialist(to) {
        refuse("transfer_not_possible", d);
        return;
    }
    if snap.busy.iter().any(|(b, _)| *b == to) {
        refuse("transfer_target_busy", d);
        return;
    }
    let Some(customer) = &snap.customer else {
        refuse("transfer_not_possible", d);
        return;
    };
    let (from_name, to_name) = (env.specialist_name(me), env.specialist_name(to));
    let id_text = comm.id.to_string();
    d.change(Change::Transfer {
        comm: comm.id,
        from: me,
        to,
    });
    d.audit(
        AuditEntry::new(Actor::Staff(me), AuditAction::Transfer, Some(comm.id)).detail("to", to),
    );
    d.answer(
        press,
        env.texts
            .render_plain("transfer_done", &[("id", &id_text), ("name", &to_name)]),
        false,
    );
    d.say(
        me.chat(),
        env.texts
            .render("transferred_away", &[("id", &id_text), ("name", &to_name)]),
    );
    // The new specialist: who handed it over, the card, the whole history and notes.
    d.say(
        to.chat(),
        env.texts.render(
            "transferred_to_you",
            &[("id", &id_text), ("name", &from_name)],
        ),
    );
    hand_over(comm, to, customer, snap, env, d);
    d.tell_customer(
        customer.user.as_customer(),
        env.to_customer()
            .render("transferred_customer", &[("name", &to_name)]),
    );
    for chat in env.watchers_of(comm) {
        d.say(
            chat,
            env.texts.render(
                "transferred_notice",
                &[("id", &id_text), ("from", &from_name), ("to", &to_name)],
            ),
        );
    }
}

/// Transfer communication `n` to the queue of department number `department`.
pub(super) fn transfer_to_queue(
    press: &Press,
    me: StaffId,
    n: CommId,
    department: u16,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let Some(comm) = own_named(press, me, n, snap, env, d) else {
        return;
    };
    let target = usize::from(department)
        .checked_sub(1)
        .and_then(|i| env.policy.departments.get(i))
        .filter(|_| env.policy.has_departments());
    let (Some(dep), Some(customer)) = (target, &snap.customer) else {
        d.answer(press, env.texts.render_plain("button_stale", &[]), true);
        return;
    };
    let id_text = comm.id.to_string();
    let from_name = env.specialist_name(me);
    d.change(Change::Release { comm: comm.id });
    d.change(Change::SetDepartment {
        comm: comm.id,
        department: dep.key.clone(),
    });
    d.audit(
        AuditEntry::new(Actor::Staff(me), AuditAction::Transfer, Some(comm.id))
            .detail("department", &dep.key),
    );
    d.answer(press, String::new(), false);
    d.say(
        me.chat(),
        env.texts
            .render("transferred_away", &[("id", &id_text), ("name", &dep.name)]),
    );
    d.tell_customer(
        customer.user.as_customer(),
        env.to_customer()
            .render("transferred_customer_queue", &[("department", &dep.name)]),
    );
    let mut queued = comm.clone();
    queued.status = Status::Unassigned;
    queued.specialist_id = None;
    queued.department = dep.key.clone();
    // The old department hears that it left; the new one gets the announcement.
    for chat in env.watchers_of(comm) {
        d.say(
            chat,
            env.texts.render(
                "transferred_notice",
                &[("id", &id_text), ("from", &from_name), ("to", &dep.name)],
            ),
        );
    }
    announce(&queued, customer, &snap.log, env, d);
    start_steps(comm.id, DeadlineKind::Unassigned, env, d);
}

/// `/note TEXT`: an internal note on the active communication.
pub(super) fn note(me: StaffId, text: &str, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let Some(comm) = active(me, snap) else {
        d.say(me.chat(), env.texts.render("no_active", &[]));
        return;
    };
    if text.is_empty() {
        d.say(me.chat(), env.texts.render("note_usage", &[]));
        return;
    }
    d.change(Change::Note {
        comm: comm.id,
        author: me,
        text: text.to_string(),
    });
    d.audit(
        AuditEntry::new(Actor::Staff(me), AuditAction::Note, Some(comm.id))
            .detail("chars", text.chars().count()),
    );
    d.say(
        me.chat(),
        env.texts
            .render("note_saved", &[("id", &comm.id.to_string())]),
    );
}

/// Fill a canned answer's placeholders (plain text; escaped when sent).
pub fn fill_canned(text: &str, customer: &str, specialist: &str, request: CommId) -> String {
    text.replace("{customer}", customer)
        .replace("{specialist}", specialist)
        .replace("{request}", &request.to_string())
}

/// `/c`, `/c KEY` or a canned answer's button.
pub(super) fn canned(
    from: &User,
    key: Option<&str>,
    press: Option<&Press>,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let me = from.as_staff();
    if let Some(press) = press {
        d.answer(press, String::new(), false);
    }
    let all = env.policy.canned_with(&snap.canned);
    let chosen = key.and_then(|k| all.iter().find(|c| c.key == k));
    let Some(answer) = chosen else {
        if all.is_empty() {
            d.say(me.chat(), env.texts.render("canned_none", &[]));
            return;
        }
        let rows = all
            .iter()
            .map(|c| {
                vec![Key::new(
                    format!("{} · {}", c.title, c.key),
                    Button::Canned(c.key.clone()),
                )]
            })
            .collect();
        let heading = match key {
            Some(k) => env.texts.render("canned_unknown", &[("key", k)]),
            None => env.texts.render("canned_list", &[]),
        };
        d.say_with(me.chat(), heading, Keyboard(rows));
        return;
    };
    let Some(comm) = active(me, snap) else {
        d.say(me.chat(), env.texts.render("no_active", &[]));
        return;
    };
    let first_name = snap
        .customer
        .as_ref()
        .map(|c| c.user.first_name.clone())
        .unwrap_or_default();
    let text = fill_canned(&answer.text, &first_name, &env.specialist_name(me), comm.id);
    // Logged as the specialist's message (counted in the figures, archived).
    d.change(Change::written(comm.id, from, Kind::Canned, text.clone()));
    d.audit(
        AuditEntry::new(Actor::Staff(me), AuditAction::Canned, Some(comm.id))
            .detail("key", &answer.key),
    );
    specialist_spoke(comm, snap, env, d);
    d.send_for(
        Outgoing::html(comm.customer_id.chat(), escape_html(&text)),
        Some(Purpose::Relay {
            comm: comm.id,
            from_chat: me.chat(),
            from_msgs: Vec::new(),
            to_chat: comm.customer_id.chat(),
            notify: Some(me),
        }),
        None,
    );
    d.say(
        me.chat(),
        env.texts.render("canned_sent", &[("key", &answer.key)]),
    );
}

/// Block a customer: their open communication (if any) is closed with the reason
/// "blocked", and they are told once.
fn block(
    by: StaffId,
    customer: &Customer,
    open: Option<&Communication>,
    env: &Env<'_>,
    d: &mut Decision,
) {
    if let Some(comm) = open {
        close(comm, CloseBy::Block(by), env, d);
    }
    d.change(Change::Block {
        customer: customer.user.as_customer(),
    });
    d.audit(
        AuditEntry::new(Actor::Staff(by), AuditAction::Block, open.map(|c| c.id))
            .detail("customer", customer.user.id),
    );
    let mut blocked = customer.clone();
    blocked.ban_told = false;
    tell_blocked(&blocked, d, env);
}

/// `/block` (a specialist, their active communication) or `/block ID` (controllers).
pub(super) fn block_command(
    from: &User,
    target: &Target,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let me = from.as_staff();
    let chat = me.chat();
    match target {
        Target::Own => {
            let Some(comm) = active(me, snap) else {
                d.say(chat, env.texts.render("no_active", &[]));
                return;
            };
            let Some(customer) = &snap.customer else {
                return;
            };
            block(me, customer, Some(comm), env, d);
            d.say(
                chat,
                env.texts
                    .render("blocked_done", &[("id", &customer.user.id.to_string())]),
            );
        }
        Target::Bad(arg) => d.say(chat, env.texts.render("block_usage", &[("arg", arg)])),
        Target::Id(id) => {
            if !env.policy.is_controller(me) {
                d.say(chat, env.texts.render("only_controllers", &[]));
                return;
            }
            let Some(customer) = snap
                .customer
                .as_ref()
                .filter(|c| c.user.as_customer() == *id)
            else {
                d.say(
                    chat,
                    env.texts
                        .render("customer_unknown", &[("id", &id.to_string())]),
                );
                return;
            };
            if customer.banned {
                d.say(
                    chat,
                    env.texts
                        .render("already_blocked", &[("id", &id.to_string())]),
                );
                return;
            }
            let open = snap
                .communication
                .as_ref()
                .filter(|c| c.status != Status::Closed && c.customer_id == *id);
            block(me, customer, open, env, d);
            d.say(
                chat,
                env.texts.render("blocked_done", &[("id", &id.to_string())]),
            );
        }
    }
}

/// `/unblock ID` (controllers).
pub(super) fn unblock_command(
    from: &User,
    target: &Target,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let me = from.as_staff();
    let chat = me.chat();
    if !env.policy.is_controller(me) {
        d.say(chat, env.texts.render("only_controllers", &[]));
        return;
    }
    let id = match target {
        Target::Id(id) => *id,
        Target::Own => {
            d.say(chat, env.texts.render("unblock_usage", &[]));
            return;
        }
        Target::Bad(arg) => {
            d.say(chat, env.texts.render("block_usage", &[("arg", arg)]));
            return;
        }
    };
    match snap
        .customer
        .as_ref()
        .filter(|c| c.user.as_customer() == id)
    {
        None => d.say(
            chat,
            env.texts
                .render("customer_unknown", &[("id", &id.to_string())]),
        ),
        Some(c) if !c.banned => d.say(
            chat,
            env.texts.render("not_blocked", &[("id", &id.to_string())]),
        ),
        Some(_) => {
            d.change(Change::Unblock { customer: id });
            d.audit(
                AuditEntry::new(Actor::Staff(me), AuditAction::Unblock, None)
                    .detail("customer", id),
            );
            d.say(
                chat,
                env.texts
                    .render("unblocked_done", &[("id", &id.to_string())]),
            );
        }
    }
}

/// A blocked customer writes: the message is kept (and archived), nobody is told,
/// and the customer gets the `blocked` text once.
pub(super) fn blocked_message(m: &Incoming, customer: &Customer, env: &Env<'_>, d: &mut Decision) {
    d.change(Change::BlockedMessage { message: m.clone() });
    tell_blocked(customer, d, env);
}

/// The `blocked` text, once per block.
pub(super) fn tell_blocked(customer: &Customer, d: &mut Decision, env: &Env<'_>) {
    if customer.ban_told {
        return;
    }
    d.change(Change::BlockTold {
        customer: customer.user.as_customer(),
    });
    d.tell_customer(
        customer.user.as_customer(),
        env.to_customer().render("blocked", &[]),
    );
}
