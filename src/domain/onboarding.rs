//! Onboarding: a new customer proves their email address with a one-time code.

use super::email::EmailAddress;
use super::{
    Button, Change, Command, Customer, CustomerState, Decision, Env, Incoming, Key, Keyboard, Kind,
    MailOut, MailPurpose, Press, Snapshot, User, csat, desk,
};
use super::{ChatId, CustomerId};

/// The installation's secret key for onboarding codes. It is kept outside the
/// database (the store keeps it in a file of its own next to the database), so
/// what the database holds for a code cannot be checked against guesses without it.
#[derive(Clone)]
pub struct CodeKey(ring::hmac::Key);

impl CodeKey {
    /// How many bytes of key material a key takes.
    pub const LEN: usize = 32;

    pub fn new(bytes: &[u8; CodeKey::LEN]) -> CodeKey {
        CodeKey(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, bytes))
    }

    /// The HMAC-SHA-256 of `message` under this key, in hex after [`KEYED`].
    pub fn sign_hex(&self, message: &[u8]) -> String {
        use std::fmt::Write as _;
        let tag = ring::hmac::sign(&self.0, message);
        let mut out = String::with_capacity(KEYED.len() + 2 * tag.as_ref().len());
        out.push_str(KEYED);
        for b in tag.as_ref() {
            let _ = write!(out, "{b:02x}");
        }
        out
    }
}

impl std::fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeKey(..)")
    }
}

/// What starts a hash made with the installation's key: an older version stored an
/// unkeyed SHA-256 (64 hex digits, nothing before them).
const KEYED: &str = "hmac-sha256:";

/// What is stored for a code: an HMAC-SHA-256 of the customer id and the code under
/// the installation's key, in hex after [`KEYED`]. A 6-digit code has only a million
/// values, so an unkeyed hash would give the code back to anyone who can read the
/// database and tries them all; without the key, what the database holds tells
/// nothing about the code. Whoever has both the database and the key can still find
/// a pending code that way (until it expires or is used): the key must stay private.
pub fn code_hash(key: &CodeKey, customer: CustomerId, code: &str) -> String {
    use std::fmt::Write as _;
    let tag = ring::hmac::sign(&key.0, format!("relaydesk:{customer}:{code}").as_bytes());
    let mut out = String::with_capacity(KEYED.len() + 2 * tag.as_ref().len());
    out.push_str(KEYED);
    for b in tag.as_ref() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Whether `stored` was made with [`code_hash`] (by this version, with a key).
fn is_keyed(stored: &str) -> bool {
    stored.starts_with(KEYED)
}

/// Whether `code` is the code `stored` was made from, compared in constant time.
pub fn code_matches(key: &CodeKey, customer: CustomerId, code: &str, stored: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = code_hash(key, customer, code);
    is_keyed(stored) && bool::from(expected.as_bytes().ct_eq(stored.as_bytes()))
}

fn resend_keyboard(env: &Env<'_>) -> Keyboard {
    Keyboard::row(vec![
        Key::new(
            env.to_customer().render_plain("button_resend", &[]),
            Button::ResendCode,
        ),
        Key::new(
            env.to_customer().render_plain("button_change_email", &[]),
            Button::ChangeEmail,
        ),
    ])
}

fn ask_email(chat: ChatId, env: &Env<'_>, d: &mut Decision) {
    d.say(chat, env.to_customer().render("ask_email", &[]));
}

/// A message from someone who is not staff.
pub fn customer_message(m: &Incoming, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let Some(customer) = &snap.customer else {
        welcome_new(&m.from, m.chat_id, env, d);
        return;
    };
    d.change(Change::TouchCustomer {
        user: m.from.clone(),
        state_if_new: CustomerState::AwaitingEmail,
    });
    if customer.banned {
        super::toolbox::blocked_message(m, customer, env, d);
        return;
    }
    remind_later(customer, env, d, |env, d| match customer.state {
        CustomerState::AwaitingEmail => match (m.kind(), m.text.as_deref()) {
            (Kind::Text, Some(text)) => {
                email_given(m.from.as_customer(), m.chat_id, text, snap, env, d)
            }
            _ => {
                d.say(m.chat_id, env.to_customer().render("email_as_text", &[]));
            }
        },
        CustomerState::AwaitingCode => match (m.kind(), m.text.as_deref()) {
            (Kind::Text, Some(text)) => {
                code_given(m.from.as_customer(), m.chat_id, text, snap, env, d)
            }
            _ => d.say(m.chat_id, env.to_customer().render("enter_code", &[])),
        },
        CustomerState::Verified => {
            if !csat::comment(m, snap, env, d) {
                desk::customer_request(m, customer, snap, env, d)
            }
        }
    });
}

/// What `onboard` decides for a customer who answered (wrote, or pressed a button),
/// then the stalled-onboarding reminder (SPEC §9) counted anew: due
/// `auth.remind_after` from now while they are still asked for their email or
/// code, gone once they are verified. A verified customer's is left alone.
fn remind_later(
    customer: &Customer,
    env: &Env<'_>,
    d: &mut Decision,
    onboard: impl FnOnce(&Env<'_>, &mut Decision),
) {
    onboard(env, d);
    let me = customer.user.as_customer();
    let state = d
        .changes
        .iter()
        .rev()
        .find_map(|c| match c {
            Change::SetCustomerState {
                customer, state, ..
            } if *customer == me => Some(*state),
            _ => None,
        })
        .unwrap_or(customer.state);
    if customer.state == CustomerState::Verified && state == CustomerState::Verified {
        return;
    }
    d.change(Change::RemindOnboarding {
        customer: me,
        at: reminder_due(state, env),
    });
}

/// When a customer now in `state` is reminded, if at all.
fn reminder_due(state: CustomerState, env: &Env<'_>) -> Option<i64> {
    let after = env.policy.auth.remind_after;
    (state != CustomerState::Verified && !after.is_zero())
        .then(|| env.now + i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 4))
}

/// A customer's onboarding reminder fell due: once, if they are still asked for
/// their email or code (and the reminder is still wanted), what is still needed.
/// What they send next is handled as before.
pub fn stalled(me: CustomerId, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    d.change(Change::RemindOnboarding {
        customer: me,
        at: None,
    });
    let Some(customer) = snap.customer.as_ref().filter(|c| !c.banned && !c.blocked) else {
        return;
    };
    if env.policy.auth.remind_after.is_zero() {
        return;
    }
    let t = env.to_customer();
    match (customer.state, customer.email.as_ref()) {
        (CustomerState::AwaitingEmail, _) => {
            d.tell_customer(me, t.render("remind_email", &[]));
        }
        (CustomerState::AwaitingCode, Some(email)) => d.send_for(
            super::Outgoing::html(
                me.chat(),
                t.render("remind_code", &[("email", email.as_str())]),
            )
            .with_buttons(resend_keyboard(env)),
            Some(super::Purpose::Notice { customer: me }),
            None,
        ),
        (CustomerState::AwaitingCode, None) => {
            d.tell_customer(me, t.render("remind_email", &[]));
        }
        (CustomerState::Verified, _) => {}
    }
}

fn welcome_new(user: &User, chat: ChatId, env: &Env<'_>, d: &mut Decision) {
    d.change(Change::TouchCustomer {
        user: user.clone(),
        state_if_new: CustomerState::AwaitingEmail,
    });
    if let Some(at) = reminder_due(CustomerState::AwaitingEmail, env) {
        d.change(Change::RemindOnboarding {
            customer: user.as_customer(),
            at: Some(at),
        });
    }
    d.say(
        chat,
        env.to_customer()
            .render("welcome_new", &[("name", &user.display_name())]),
    );
    ask_email(chat, env, d);
}

pub fn customer_command(
    from: &User,
    chat: ChatId,
    command: &Command,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let Some(customer) = &snap.customer else {
        welcome_new(from, chat, env, d);
        return;
    };
    d.change(Change::TouchCustomer {
        user: from.clone(),
        state_if_new: CustomerState::AwaitingEmail,
    });
    if customer.banned {
        super::toolbox::tell_blocked(customer, d, env);
        return;
    }
    remind_later(customer, env, d, |env, d| match command {
        Command::Start => match customer.state {
            CustomerState::AwaitingEmail => ask_email(chat, env, d),
            CustomerState::AwaitingCode => d.say_with(
                chat,
                env.to_customer().render("enter_code", &[]),
                resend_keyboard(env),
            ),
            CustomerState::Verified => d.say(
                chat,
                env.to_customer()
                    .render("greeting", &[("name", &from.display_name())]),
            ),
        },
        Command::Service => d.say_with(
            chat,
            env.to_customer().render("customer_menu", &[]),
            Keyboard::single(
                env.to_customer().render_plain("button_change_email", &[]),
                Button::ChangeEmail,
            ),
        ),
        _ => d.say(chat, env.to_customer().render("unknown_command", &[])),
    });
}

pub fn customer_button(
    id: &Press,
    from: &User,
    data: &Button,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let Some(customer) = &snap.customer else {
        d.answer(id, env.to_customer().render_plain("start_first", &[]), true);
        return;
    };
    let me = from.as_customer();
    let chat = me.chat();
    remind_later(customer, env, d, |env, d| match data {
        Button::ChangeEmail => {
            if customer.state == CustomerState::Verified {
                d.answer(
                    id,
                    env.to_customer().render_plain("email_locked", &[]),
                    true,
                );
            } else {
                d.change(Change::SetCustomerState {
                    customer: me,
                    state: CustomerState::AwaitingEmail,
                    email: None,
                });
                d.answer(id, String::new(), false);
                ask_email(chat, env, d);
            }
        }
        Button::ResendCode => match (customer.state, customer.email.as_ref()) {
            (CustomerState::AwaitingCode, Some(email)) => {
                if let Some(refusal) = send_refusal(snap, env) {
                    d.answer(id, refusal, true);
                } else {
                    d.answer(id, String::new(), false);
                    issue_code(me, email, env, d);
                }
            }
            (CustomerState::Verified, _) => d.answer(
                id,
                env.to_customer().render_plain("already_verified", &[]),
                true,
            ),
            _ => {
                d.answer(id, String::new(), false);
                ask_email(chat, env, d);
            }
        },
        _ => d.answer(
            id,
            env.to_customer().render_plain("only_specialists", &[]),
            true,
        ),
    });
}

/// Why no code may be sent now (cool-down, hourly cap), if so.
fn send_refusal(snap: &Snapshot, env: &Env<'_>) -> Option<String> {
    let auth = &env.policy.auth;
    if snap.codes.sent_last_hour >= auth.max_codes_per_hour {
        return Some(env.to_customer().render("too_many_codes", &[]));
    }
    if let Some(last) = snap.codes.last_sent_at {
        let ready = last + i64::try_from(auth.resend_cooldown.as_millis()).unwrap_or(0);
        if env.now < ready {
            let secs = (ready - env.now + 999) / 1000;
            return Some(
                env.to_customer()
                    .render("resend_wait", &[("seconds", &secs.to_string())]),
            );
        }
    }
    None
}

fn email_given(
    customer: CustomerId,
    chat: ChatId,
    text: &str,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    match EmailAddress::parse(text) {
        Err(why) => {
            d.say(chat, env.to_customer().render(why.text_key(), &[]));
            ask_email(chat, env, d);
        }
        Ok(email) => {
            if let Some(refusal) = send_refusal(snap, env) {
                d.say(chat, refusal);
                return;
            }
            issue_code(customer, &email, env, d);
        }
    }
}

/// A new code by email; the customer now waits for it.
fn issue_code(customer: CustomerId, email: &EmailAddress, env: &Env<'_>, d: &mut Decision) {
    let auth = &env.policy.auth;
    d.change(Change::NewCode {
        customer,
        email: email.clone(),
        code_hash: code_hash(env.code_key, customer, env.fresh_code),
        expires_at: env.now + i64::try_from(auth.code_ttl.as_millis()).unwrap_or(i64::MAX / 4),
    });
    d.change(Change::SetCustomerState {
        customer,
        state: CustomerState::AwaitingCode,
        email: Some(email.clone()),
    });
    let minutes = auth.code_ttl.as_secs().div_ceil(60).to_string();
    d.mail(MailOut {
        to: email.to_string(),
        subject: env.texts.staff().render_plain("code_mail_subject", &[]),
        body: env.texts.staff().render_plain(
            "code_mail_body",
            &[("code", env.fresh_code), ("minutes", &minutes)],
        ),
        purpose: MailPurpose::Code { customer },
        max_attempts: 2,
    });
    d.say_with(
        customer.chat(),
        env.to_customer().render(
            "code_sent",
            &[("email", email.as_str()), ("minutes", &minutes)],
        ),
        resend_keyboard(env),
    );
}

fn code_given(
    customer: CustomerId,
    chat: ChatId,
    text: &str,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let typed: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        d.say_with(
            chat,
            env.to_customer().render("enter_code", &[]),
            resend_keyboard(env),
        );
        return;
    }
    let max = env.policy.auth.max_attempts;
    // A code an earlier version stored unkeyed is not accepted (the database alone
    // gives it away): the customer needs a new one, as for a used one.
    let Some(code) = snap
        .codes
        .latest
        .as_ref()
        .filter(|c| !c.used && !c.send_failed && is_keyed(&c.code_hash))
    else {
        d.say_with(
            chat,
            env.to_customer().render("code_needed", &[]),
            resend_keyboard(env),
        );
        return;
    };
    if env.now >= code.expires_at {
        d.say_with(
            chat,
            env.to_customer().render("code_expired", &[]),
            resend_keyboard(env),
        );
        return;
    }
    if code.attempts >= max {
        d.say_with(
            chat,
            env.to_customer().render("code_locked", &[]),
            resend_keyboard(env),
        );
        return;
    }
    if code_matches(env.code_key, customer, &typed, &code.code_hash) {
        d.change(Change::CodeUsed { customer });
        d.change(Change::SetCustomerState {
            customer,
            state: CustomerState::Verified,
            email: Some(code.email.clone()),
        });
        d.say(
            chat,
            env.to_customer()
                .render("verified", &[("email", code.email.as_str())]),
        );
        if let Some(c) = &snap.customer {
            let mut verified = c.clone();
            verified.email = Some(code.email.clone());
            let line = super::render::customer_line(&verified);
            for watcher in env.watchers() {
                d.say(
                    watcher,
                    env.texts
                        .staff()
                        .render_html("customer_verified", &[("customer", &line)]),
                );
            }
        }
    } else {
        d.change(Change::CodeAttempt { customer });
        let left = max.saturating_sub(code.attempts + 1);
        if left == 0 {
            d.say_with(
                chat,
                env.to_customer().render("code_locked", &[]),
                resend_keyboard(env),
            );
        } else {
            d.say_with(
                chat,
                env.to_customer()
                    .render("code_wrong", &[("left", &left.to_string())]),
                resend_keyboard(env),
            );
        }
    }
}

/// The code email could not be sent: say so; the customer may ask again.
pub fn mail_failed(purpose: &MailPurpose, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    if let MailPurpose::Code { customer } = purpose {
        d.change(Change::CodeSendFailed {
            customer: *customer,
        });
        if snap
            .customer
            .as_ref()
            .is_some_and(|c| c.state == CustomerState::AwaitingCode)
        {
            d.say_with(
                customer.chat(),
                env.to_customer().render("code_send_failed", &[]),
                resend_keyboard(env),
            );
        }
    }
}
