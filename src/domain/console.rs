//! The web console's sign-in (SPEC §8): a staff member asks for a code, the bot
//! sends it to them in Telegram. The code is stored only as a keyed hash, like an
//! onboarding code; checking it (and the sessions it opens) is the store's
//! (`store/console.rs`), the attempts counted in the row.

use super::{Change, CodeKey, Decision, Env, Outgoing, StaffId};

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
