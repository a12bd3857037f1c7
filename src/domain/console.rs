//! The web console's sign-in (SPEC §8): a staff member asks for a code, the bot
//! sends it to them in Telegram. The code is stored only as a keyed hash, like an
//! onboarding code; checking it (and the sessions it opens) is the store's
//! (`store/console.rs`), the attempts counted in the row.

use super::audit::{Actor, AuditAction, AuditEntry};
use super::desk::specialist_spoke;
use super::texts::escape_html;
use super::{
    Action, Change, CodeKey, CommId, Decision, Env, Kind, Outgoing, Press, Purpose, Snapshot,
    StaffId, Status, User,
};

/// How long a console code lives (SPEC §8: 5 minutes).
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;
/// Wrong tries a console code allows (SPEC §8: 5).
pub const CODE_TRIES: i64 = 5;

/// What is stored for a console code: an HMAC-SHA-256 of the staff id and the code
/// under the installation's key, in a domain of its own (an onboarding code of the
/// same digits for the same id gives another hash).
pub fn code_hash(key: &CodeKey, staff: StaffId, code: &str) -> String {
    key.sign_hex(format!("relaydesk-console:{}:{code}", staff.0).as_bytes())
}

/// Whether `code` is the code `stored` was made from, compared in constant time.
pub fn code_matches(key: &CodeKey, staff: StaffId, code: &str, stored: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = code_hash(key, staff, code);
    bool::from(expected.as_bytes().ct_eq(stored.as_bytes()))
}

/// The coalescing key of a code's message: a newer code replaces one not yet sent,
/// and the outbox scrubs the text of a sent one (`store/outbox.rs`).
pub fn code_message_key(staff: StaffId) -> String {
    format!("console-code:{}", staff.0)
}

/// A staff member asked the console for a sign-in code: a fresh one replaces any
/// earlier, and goes to them in Telegram. Anyone else gets nothing (the console
/// shows the same page either way).
pub fn code_requested(staff: StaffId, env: &Env<'_>, d: &mut Decision) {
    if !env.policy.is_staff(staff) {
        return;
    }
    d.change(Change::ConsoleCode {
        staff,
        hash: code_hash(env.code_key, staff, env.fresh_code),
        expires_at: env.now + CODE_TTL_MS,
    });
    let text = env.texts.render(
        "console_code",
        &[
            ("code", env.fresh_code),
            ("minutes", &(CODE_TTL_MS / 60_000).to_string()),
        ],
    );
    d.send_for(
        Outgoing::html(staff.chat(), text),
        None,
        Some(code_message_key(staff)),
    );
}

/// A staff member's @username as Telegram showed it with their message, command or
/// press: kept, so that they can sign in to the console with it.
pub fn username_seen(action: &Action, env: &Env<'_>, d: &mut Decision) {
    if let Some(from) = action.telegram_user()
        && let Some(username) = &from.username
        && env.policy.is_staff(from.as_staff())
    {
        d.change(Change::StaffSeen {
            staff: from.as_staff(),
            username: username.clone(),
        });
    }
}

/// The longest reply the console sends (one Telegram message, with room to spare).
pub const MAX_REPLY: usize = 4000;

/// A reply typed in the console by a specialist on `comm`: sent to the customer as
/// the specialist's message, logged (kind `web`), counted in the figures and
/// archived like a message written in Telegram, and shown in the specialist's
/// Telegram chat; one audit line `reply` with `via=console` (a reply written in
/// Telegram has none). Only on their active communication.
pub fn reply(
    from: &User,
    comm: CommId,
    text: &str,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let me = from.as_staff();
    let web = Press {
        callback: None,
        message: None,
    };
    // A refusal, shown on the page.
    let refuse = |key: &str, vars: &[(&str, &str)], d: &mut Decision| {
        d.answer(&web, env.texts.render_plain(key, vars), true);
    };
    if !env.policy.is_specialist(me) {
        refuse("only_specialists", &[], d);
        return;
    }
    let Some(active) = snap
        .communication
        .as_ref()
        .filter(|c| c.id == comm && c.status == Status::Assigned && c.specialist_id == Some(me))
    else {
        refuse("console_not_yours", &[("request", &comm.to_string())], d);
        return;
    };
    let text = text.trim();
    if text.is_empty() {
        refuse("console_reply_empty", &[], d);
        return;
    }
    if text.chars().count() > MAX_REPLY {
        refuse("console_reply_long", &[("max", &MAX_REPLY.to_string())], d);
        return;
    }
    d.change(Change::written(
        active.id,
        from,
        Kind::Web,
        text.to_string(),
    ));
    d.audit(
        AuditEntry::new(Actor::Staff(me), AuditAction::Reply, Some(active.id))
            .detail("via", "console"),
    );
    specialist_spoke(active, snap, env, d);
    d.send_for(
        Outgoing::html(active.customer_id.chat(), escape_html(text)),
        Some(Purpose::Relay {
            comm: active.id,
            from_chat: me.chat(),
            from_msgs: Vec::new(),
            to_chat: active.customer_id.chat(),
            notify: Some(me),
        }),
        None,
    );
    let request = active.id.to_string();
    d.say(
        me.chat(),
        env.texts.render(
            "console_reply_copy",
            &[("request", &request), ("text", text)],
        ),
    );
    d.answer(
        &web,
        env.texts.render_plain("console_reply_sent", &[]),
        false,
    );
}
