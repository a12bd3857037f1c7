//! Telegram in the wild (SPEC §10): a service group upgraded to a supergroup, the
//! bot removed from a group or blocked by a customer, a specialist who never
//! started the bot, a message the Bot API will not copy.

use super::audit::{Actor, AuditAction, AuditEntry};
use super::desk::back_to_queue;
use super::{
    Change, ChatId, CommId, CustomerId, Decision, Effect, Env, Kind, MessageId, Snapshot, StaffId,
    Status,
};

/// Group `from` became the supergroup `to`. Only a service group's move matters;
/// once recorded, the old id is no service group any more, so the second report of
/// the same move (the new group's `migrate_from_chat_id`, or another refused call)
/// changes nothing.
pub fn group_moved(from: ChatId, to: ChatId, env: &Env<'_>, d: &mut Decision) {
    if from == to || !env.policy.is_service_group(from) {
        return;
    }
    d.change(Change::GroupMoved { from, to });
    let keys = env.policy.group_keys_of(from).join(", ");
    let text = env.texts.render(
        "group_moved",
        &[
            ("old", &from.0.to_string()),
            ("new", &to.0.to_string()),
            ("keys", &keys),
        ],
    );
    for controller in &env.policy.controllers {
        d.say(controller.chat(), text.clone());
    }
}

/// The bot's membership of a chat changed: a service group lost or got the bot
/// back (the controllers are told), or a customer blocked or unblocked it.
/// Anything else (a chat the desk does not know, a staff member's private chat,
/// a promotion inside a group) changes nothing.
pub fn membership(
    chat: ChatId,
    private: bool,
    was_in: bool,
    is_in: bool,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    if was_in == is_in {
        return;
    }
    if !private {
        if !env.policy.is_service_group(chat) {
            return;
        }
        let key = if is_in { "bot_readded" } else { "bot_removed" };
        let text = env.texts.render(key, &[("group", &chat.0.to_string())]);
        for controller in &env.policy.controllers {
            d.say(controller.chat(), text.clone());
        }
        return;
    }
    if env.policy.is_staff(StaffId(chat.0)) {
        return;
    }
    let customer = CustomerId(chat.0);
    if is_in {
        customer_reachable(customer, snap, env, d);
    } else {
        customer_unreachable(customer, None, snap, env, d);
    }
}

/// Whether the customer is known to have blocked the bot.
fn marked_blocked(snap: &Snapshot, customer: CustomerId) -> bool {
    snap.customer
        .as_ref()
        .is_some_and(|c| c.user.as_customer() == customer && c.blocked)
}

/// The specialist of the customer's open communication, if it is assigned.
fn specialist_of(snap: &Snapshot, customer: CustomerId) -> Option<StaffId> {
    snap.communication
        .as_ref()
        .filter(|c| c.customer_id == customer && c.status == Status::Assigned)
        .and_then(|c| c.specialist_id)
}

/// The customer blocked the bot (their `my_chat_member`, or a 403 on a message to
/// them): marked, and the specialist (`tell`, or the one of their open
/// communication) is told, once per block. Nothing is sent to them any more
/// ([`hold_for_unreachable`]) until they unblock the bot or write again.
pub(super) fn customer_unreachable(
    customer: CustomerId,
    tell: Option<StaffId>,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    if marked_blocked(snap, customer) {
        return;
    }
    d.change(Change::MarkBlocked { customer });
    if let Some(specialist) = tell.or_else(|| specialist_of(snap, customer)) {
        d.say(
            specialist.chat(),
            env.texts.render("not_delivered_blocked", &[]),
        );
    }
}

/// The customer unblocked the bot: messages reach them again; their specialist is
/// told.
fn customer_reachable(customer: CustomerId, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    if !marked_blocked(snap, customer) {
        return;
    }
    d.change(Change::MarkReachable { customer });
    if let Some(specialist) = specialist_of(snap, customer) {
        d.say(
            specialist.chat(),
            env.texts.render("customer_unblocked_bot", &[]),
        );
    }
}

/// A customer who blocked the bot gets nothing: every message of the decision to
/// their chat is dropped (a refusal each would teach nothing), unless the
/// decision itself finds them reachable again (they wrote, or unblocked the bot).
pub(super) fn hold_for_unreachable(snap: &Snapshot, d: &mut Decision) {
    let Some(customer) = snap.customer.as_ref().filter(|c| c.blocked) else {
        return;
    };
    let id = customer.user.as_customer();
    let reachable_again = d.changes.iter().any(|c| match c {
        Change::TouchCustomer { user, .. } => user.as_customer() == id,
        Change::MarkReachable { customer } => *customer == id,
        _ => false,
    });
    if reachable_again {
        return;
    }
    d.effects.retain(|e| match e {
        Effect::Telegram(send) => send.message.chat() != Some(id.chat()),
        _ => true,
    });
}

/// The specialist who took `comm` cannot be written to (they never started the
/// bot, or blocked it): the Take is undone, the communication goes back to the
/// queue, and the groups and the controllers are told why.
pub(super) fn specialist_unreachable(
    comm: CommId,
    specialist: StaffId,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let Some(c) = snap
        .communication
        .as_ref()
        .filter(|c| c.id == comm && c.status == Status::Assigned)
        .filter(|c| c.specialist_id == Some(specialist))
    else {
        // Closed, released or passed on meanwhile: nothing to undo.
        return;
    };
    d.audit(
        AuditEntry::new(Actor::System, AuditAction::Release, Some(comm))
            .detail("reason", "unreachable")
            .detail("specialist", specialist.0),
    );
    back_to_queue(c, snap, env, d);
    let text = env.texts.render(
        "take_undone_unreachable",
        &[
            ("id", &comm.to_string()),
            ("name", &env.specialist_name(specialist)),
        ],
    );
    for chat in env.watchers_of(c) {
        d.say(chat, text.clone());
    }
}

/// The kinds of messages `ids` of `chat`, as the communication's log has them.
pub(super) fn kinds_of(snap: &Snapshot, chat: ChatId, ids: &[MessageId]) -> Vec<Kind> {
    let kinds: Vec<Kind> = ids
        .iter()
        .map(|id| {
            snap.log
                .iter()
                .find(|e| e.chat_id == chat && e.message_id == *id)
                .map_or(Kind::Other, |e| e.kind)
        })
        .collect();
    if kinds.is_empty() {
        vec![Kind::Other]
    } else {
        kinds
    }
}

/// Whether a refusal says the message cannot be copied.
pub(super) fn is_copy_refusal(code: u16, description: &str) -> bool {
    let d = description.to_ascii_lowercase();
    code == 400 && (d.contains("can't be copied") || d.contains("cannot be copied"))
}
