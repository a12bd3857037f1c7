//! Onboarding by an email code, without I/O.

use super::*;

fn awaiting_code_snapshot(code: Code) -> Snapshot {
    Snapshot {
        customer: Some(customer(CustomerState::AwaitingCode)),
        codes: Codes {
            latest: Some(code),
            sent_last_hour: 1,
            last_sent_at: Some(NOW - 120_000),
        },
        ..Snapshot::default()
    }
}

/// Ann in `state`, nothing else loaded.
fn customer_in(state: CustomerState) -> Snapshot {
    Snapshot {
        customer: Some(customer(state)),
        ..Snapshot::default()
    }
}

fn good_code() -> Code {
    Code {
        email: EmailAddress::parse("ann@example.com").unwrap(),
        code_hash: crate::domain::onboarding::code_hash(&key(), CustomerId(CUSTOMER), "654321"),
        created_at: NOW - 120_000,
        expires_at: NOW + 480_000,
        attempts: 0,
        used: false,
        send_failed: false,
    }
}

/// The unkeyed SHA-256 of `code` an earlier version stored, in hex (it gives the
/// code back to whoever tries the million codes).
fn unkeyed_hash(code: &str) -> String {
    ring::digest::digest(
        &ring::digest::SHA256,
        format!("relaydesk:{CUSTOMER}:{code}").as_bytes(),
    )
    .as_ref()
    .iter()
    .map(|b| format!("{b:02x}"))
    .collect()
}

#[test]
fn a_stranger_is_welcomed_and_asked_for_an_email() {
    let w = World::new();
    let d = w.decide(
        &says(CUSTOMER, 1, "hi, my printer is broken"),
        &Snapshot::default(),
    );
    assert!(matches!(
        d.changes[0],
        Change::TouchCustomer {
            state_if_new: CustomerState::AwaitingEmail,
            ..
        }
    ));
    let said = texts_to(&d, CUSTOMER);
    assert_eq!(said.len(), 2);
    assert!(said[1].contains("email address"), "{said:?}");
}

#[test]
fn an_invalid_email_gets_its_reason_and_a_new_prompt() {
    let w = World::new();
    let snap = customer_in(CustomerState::AwaitingEmail);
    let d = w.decide(&says(CUSTOMER, 2, "ann@localhost"), &snap);
    let said = texts_to(&d, CUSTOMER);
    assert!(said[0].contains("domain with a dot"), "{said:?}");
    assert!(said[1].contains("email address"));
    assert!(!any_change(&d, |c| matches!(c, Change::NewCode { .. })));
    assert!(!mails(&d));
}

#[test]
fn a_valid_email_gets_a_code_by_mail_and_only_its_hash_is_kept() {
    let w = World::new();
    let snap = customer_in(CustomerState::AwaitingEmail);
    let d = w.decide(&says(CUSTOMER, 2, " Ann@Example.COM "), &snap);
    let new_code = d
        .changes
        .iter()
        .find_map(|c| match c {
            Change::NewCode {
                code_hash,
                email,
                expires_at,
                ..
            } => Some((code_hash, email, expires_at)),
            _ => None,
        })
        .expect("a code");
    assert_eq!(new_code.1.as_str(), "Ann@example.com");
    assert_ne!(new_code.0, "123456");
    assert!(crate::domain::onboarding::code_matches(
        &key(),
        CustomerId(CUSTOMER),
        "123456",
        new_code.0
    ));
    assert_eq!(*new_code.2, NOW + 600_000);
    let mail = d
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Mail(m) => Some(m),
            _ => None,
        })
        .expect("a mail");
    assert!(mail.body.contains("123456"));
    assert_eq!(mail.to, "Ann@example.com");
    assert!(d.changes.contains(&Change::SetCustomerState {
        customer: CustomerId(CUSTOMER),
        state: CustomerState::AwaitingCode,
        email: Some(EmailAddress::parse("Ann@example.com").unwrap()),
    }));
    // The code itself never goes to Telegram.
    assert!(
        messages(&d)
            .iter()
            .all(|m| !format!("{m:?}").contains("123456"))
    );
}

#[test]
fn resend_respects_the_cooldown_and_the_hourly_cap() {
    let w = World::new();
    let mut snap = awaiting_code_snapshot(good_code());
    snap.codes.last_sent_at = Some(NOW - 10_000);
    let d = w.decide(&press(CUSTOMER, Button::ResendCode), &snap);
    assert!(answer(&d).contains("in 50 s"), "{}", answer(&d));
    assert!(!mails(&d));

    snap.codes.last_sent_at = Some(NOW - 61_000);
    snap.codes.sent_last_hour = 5;
    let d = w.decide(&press(CUSTOMER, Button::ResendCode), &snap);
    assert!(answer(&d).contains("Too many codes"));

    snap.codes.sent_last_hour = 2;
    let d = w.decide(&press(CUSTOMER, Button::ResendCode), &snap);
    assert!(mails(&d));
}

#[test]
fn wrong_codes_count_down_then_lock() {
    let w = World::new();
    let mut code = good_code();
    let d = w.decide(
        &says(CUSTOMER, 3, "111111"),
        &awaiting_code_snapshot(code.clone()),
    );
    assert!(d.changes.contains(&Change::CodeAttempt {
        customer: CustomerId(CUSTOMER)
    }));
    assert!(texts_to(&d, CUSTOMER)[0].contains("Tries left: 4"));
    code.attempts = 4;
    let d = w.decide(
        &says(CUSTOMER, 4, "111111"),
        &awaiting_code_snapshot(code.clone()),
    );
    assert!(texts_to(&d, CUSTOMER)[0].contains("Too many wrong tries"));
    code.attempts = 5;
    // Even the right code is refused now.
    let d = w.decide(&says(CUSTOMER, 5, "654321"), &awaiting_code_snapshot(code));
    assert!(texts_to(&d, CUSTOMER)[0].contains("Too many wrong tries"));
    assert!(!any_change(&d, |c| matches!(c, Change::CodeUsed { .. })));
}

#[test]
fn an_expired_code_is_refused() {
    let w = World::new();
    let d = w.decide_at(
        &says(CUSTOMER, 3, "654321"),
        &awaiting_code_snapshot(good_code()),
        NOW + 600_000,
    );
    assert!(texts_to(&d, CUSTOMER)[0].contains("expired"));
}

#[test]
fn the_right_code_verifies_and_the_desk_is_told() {
    let w = World::new();
    let d = w.decide(
        &says(CUSTOMER, 3, "654 321"),
        &awaiting_code_snapshot(good_code()),
    );
    assert!(d.changes.contains(&Change::CodeUsed {
        customer: CustomerId(CUSTOMER)
    }));
    assert!(any_change(&d, |c| matches!(
        c,
        Change::SetCustomerState {
            state: CustomerState::Verified,
            ..
        }
    )));
    for watcher in [-100, -200, 9] {
        assert!(
            texts_to(&d, watcher)[0].contains("New customer verified"),
            "{watcher}"
        );
    }
}

#[test]
fn a_code_hash_needs_the_key_it_was_made_with() {
    let stored = crate::domain::onboarding::code_hash(&key(), CustomerId(CUSTOMER), "654321");
    assert!(crate::domain::onboarding::code_matches(
        &key(),
        CustomerId(CUSTOMER),
        "654321",
        &stored
    ));
    assert_eq!(
        stored,
        crate::domain::onboarding::code_hash(&key(), CustomerId(CUSTOMER), "654321")
    );
    // Another code, another customer, another installation's key: no match.
    assert!(!crate::domain::onboarding::code_matches(
        &key(),
        CustomerId(CUSTOMER),
        "654322",
        &stored
    ));
    assert!(!crate::domain::onboarding::code_matches(
        &key(),
        CustomerId(CUSTOMER + 1),
        "654321",
        &stored
    ));
    let other = CodeKey::new(&[8; CodeKey::LEN]);
    assert!(!crate::domain::onboarding::code_matches(
        &other,
        CustomerId(CUSTOMER),
        "654321",
        &stored
    ));
    assert_ne!(
        stored,
        crate::domain::onboarding::code_hash(&other, CustomerId(CUSTOMER), "654321")
    );
    // Not the unkeyed SHA-256 an earlier version stored.
    let unkeyed = unkeyed_hash("654321");
    assert!(!stored.contains(&unkeyed), "{stored}");
    assert!(!crate::domain::onboarding::code_matches(
        &key(),
        CustomerId(CUSTOMER),
        "654321",
        &unkeyed
    ));
    // HMAC-SHA-256 under the key, in hex, after its tag.
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[7; CodeKey::LEN]),
        format!("relaydesk:{CUSTOMER}:654321").as_bytes(),
    );
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(stored, format!("hmac-sha256:{hex}"));
    // The key never shows in a debug print.
    assert_eq!(format!("{:?}", key()), "CodeKey(..)");
}

#[test]
fn a_code_stored_before_codes_were_keyed_needs_a_new_code() {
    let w = World::new();
    let unkeyed = unkeyed_hash("654321");
    let code = Code {
        code_hash: unkeyed,
        ..good_code()
    };
    let d = w.decide(&says(CUSTOMER, 3, "654321"), &awaiting_code_snapshot(code));
    assert!(
        texts_to(&d, CUSTOMER)[0].contains("A new code is needed"),
        "{:?}",
        texts_to(&d, CUSTOMER)
    );
    // Neither verified nor counted as a wrong try (the reminder counts anew).
    assert_eq!(d.changes.len(), 2, "{:?}", d.changes);
    assert!(matches!(d.changes[0], Change::TouchCustomer { .. }));
    assert!(matches!(
        d.changes[1],
        Change::RemindOnboarding { at: Some(_), .. }
    ));
}

fn remind_at(d: &Decision) -> Option<Option<i64>> {
    d.changes.iter().find_map(|c| match c {
        Change::RemindOnboarding { at, .. } => Some(*at),
        _ => None,
    })
}

#[test]
fn a_stalled_onboarding_is_reminded_once_and_counted_anew_on_each_answer() {
    let w = World::new();
    let day = 24 * 3_600_000;
    // Asked for an email: due a day later.
    let d = w.decide(&says(CUSTOMER, 1, "hi"), &Snapshot::default());
    assert_eq!(remind_at(&d), Some(Some(NOW + day)));
    // A bad address is an answer too: due a day from it.
    let d = w.decide_at(
        &says(CUSTOMER, 2, "nope"),
        &customer_in(CustomerState::AwaitingEmail),
        NOW + 5,
    );
    assert_eq!(remind_at(&d), Some(Some(NOW + 5 + day)));
    // The right code: nothing due any more.
    let d = w.decide(
        &says(CUSTOMER, 3, "654321"),
        &awaiting_code_snapshot(good_code()),
    );
    assert_eq!(remind_at(&d), Some(None));
    // A verified customer's messages leave it alone.
    let d = w.decide(
        &says(CUSTOMER, 4, "help"),
        &customer_in(CustomerState::Verified),
    );
    assert_eq!(remind_at(&d), None);
    // Due: the code is what is still needed, with the buttons; cleared (once).
    let due = Action::OnboardingReminder {
        customer: CustomerId(CUSTOMER),
    };
    let d = w.decide(&due, &customer_in(CustomerState::AwaitingCode));
    assert_eq!(remind_at(&d), Some(None));
    let texts = texts_to(&d, CUSTOMER);
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains("ann@example.com"), "{texts:?}");
    let d = w.decide(&due, &customer_in(CustomerState::AwaitingEmail));
    assert!(texts_to(&d, CUSTOMER)[0].contains("email address"));
    // Verified meanwhile, or reminders turned off: nothing said.
    let d = w.decide(&due, &customer_in(CustomerState::Verified));
    assert!(texts_to(&d, CUSTOMER).is_empty());
    let mut off = World::new();
    off.policy.auth.remind_after = std::time::Duration::ZERO;
    let d = off.decide(&due, &customer_in(CustomerState::AwaitingEmail));
    assert!(texts_to(&d, CUSTOMER).is_empty());
    assert_eq!(remind_at(&d), Some(None));
    let d = off.decide(&says(CUSTOMER, 1, "hi"), &Snapshot::default());
    assert_eq!(remind_at(&d), None);
}

#[test]
fn email_can_change_only_during_onboarding() {
    let w = World::new();
    let snap = awaiting_code_snapshot(good_code());
    let d = w.decide(&press(CUSTOMER, Button::ChangeEmail), &snap);
    assert!(any_change(&d, |c| matches!(
        c,
        Change::SetCustomerState {
            state: CustomerState::AwaitingEmail,
            ..
        }
    )));
    let verified = customer_in(CustomerState::Verified);
    let d = w.decide(&press(CUSTOMER, Button::ChangeEmail), &verified);
    assert!(answer(&d).contains("can no longer be changed"));
    assert!(!any_change(&d, |c| matches!(
        c,
        Change::SetCustomerState { .. }
    )));
}
