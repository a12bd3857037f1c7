//! The lifecycle without I/O: snapshots in, decisions out, the clock passed in.

use super::*;
use crate::domain::texts::Locale;
use crate::domain::texts::Texts;

const NOW: i64 = 1_700_000_000_000;
const ANNA: i64 = 5;
const BORIS: i64 = 6;
const CUSTOMER: i64 = 42;

fn policy() -> Policy {
    let member = |chat_id, name: &str| Member {
        chat_id,
        name: name.into(),
    };
    Policy {
        specialists: vec![member(StaffId(5), "Anna"), member(StaffId(6), "Boris")],
        service_groups: vec![ChatId(-100), ChatId(-200)],
        controllers: vec![StaffId(9)],
        auth: AuthPolicy::default(),
        idle_close: std::time::Duration::from_secs(3600),
        ..Policy::default()
    }
}

/// The installation's code key in these tests.
fn key() -> CodeKey {
    CodeKey::new(&[7; CodeKey::LEN])
}

struct World {
    policy: Policy,
    texts: Texts,
    key: CodeKey,
}

impl World {
    fn new() -> World {
        World {
            policy: policy(),
            texts: Texts::new(Locale::En, &Default::default()).unwrap(),
            key: key(),
        }
    }

    fn decide(&self, event: &Action, snap: &Snapshot) -> Decision {
        self.decide_at(event, snap, NOW)
    }

    fn decide_at(&self, event: &Action, snap: &Snapshot, now: i64) -> Decision {
        let env = Env {
            now,
            fresh_code: "123456",
            policy: &self.policy,
            code_key: &self.key,
            texts: &self.texts,
        };
        decide(event, snap, &env)
    }
}

fn user(id: i64, name: &str) -> User {
    User {
        id,
        first_name: name.into(),
        ..User::default()
    }
}

fn text(from: i64, msg: i64, text: &str) -> Incoming {
    Incoming {
        chat_id: ChatId(from),
        message_id: MessageId(msg),
        from: user(from, if from == CUSTOMER { "Ann" } else { "Staff" }),
        kind: Some(Kind::Text),
        text: Some(text.into()),
        ..Incoming::default()
    }
}

fn customer(state: CustomerState) -> Customer {
    Customer {
        user: user(CUSTOMER, "Ann"),
        email: Some(EmailAddress::parse("ann@example.com").unwrap()),
        state,
        blocked: false,
    }
}

fn comm(status: Status, specialist: Option<i64>) -> Communication {
    Communication {
        id: CommId(3),
        customer_id: CustomerId(CUSTOMER),
        status,
        specialist_id: specialist.map(StaffId),
        opened_at: NOW - 60_000,
        idle_deadline: None,
        closed_at: None,
        close_reason: None,
    }
}

fn sends(d: &Decision) -> Vec<&Send> {
    d.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Telegram(send) => Some(send),
            Effect::Mail(_) | Effect::Zip { .. } | Effect::Feedback { .. } => None,
        })
        .collect()
}

fn messages(d: &Decision) -> Vec<&Outgoing> {
    sends(d).into_iter().map(|s| &s.message).collect()
}

/// The texts sent to `chat`, with their buttons.
fn texts_with_buttons(d: &Decision, chat: i64) -> Vec<(&str, Option<&Keyboard>)> {
    messages(d)
        .into_iter()
        .filter_map(|m| match m {
            Outgoing::Text {
                chat: c,
                text,
                buttons,
                ..
            } if *c == ChatId(chat) => Some((text.as_str(), buttons.as_ref())),
            _ => None,
        })
        .collect()
}

fn texts_to(d: &Decision, chat: i64) -> Vec<String> {
    texts_with_buttons(d, chat)
        .into_iter()
        .map(|(t, _)| t.to_string())
        .collect()
}

fn first_button(k: Option<&Keyboard>) -> Option<&Button> {
    k.and_then(|k| k.0.first())
        .and_then(|row| row.first())
        .map(|key| &key.button)
}

fn answer(d: &Decision) -> String {
    messages(d)
        .into_iter()
        .find_map(|m| match m {
            Outgoing::Answer { text, .. } => Some(text.clone()),
            _ => None,
        })
        .expect("the press is answered")
}

/// Single copies made: (to, from, message, reply_to).
fn copies(d: &Decision) -> Vec<(i64, i64, i64, Option<i64>)> {
    messages(d)
        .into_iter()
        .filter_map(|m| match m {
            Outgoing::Copy {
                to,
                from,
                message,
                reply_to,
            } => Some((to.0, from.0, message.0, reply_to.map(|r| r.0))),
            _ => None,
        })
        .collect()
}

/// Runs copied together (copyMessages): (to, from, messages).
fn runs(d: &Decision) -> Vec<(i64, i64, Vec<i64>)> {
    messages(d)
        .into_iter()
        .filter_map(|m| match m {
            Outgoing::Copies { to, from, messages } => {
                Some((to.0, from.0, messages.iter().map(|m| m.0).collect()))
            }
            _ => None,
        })
        .collect()
}

/// An edit: (chat, message, text, buttons, coalescing key).
type EditSeen<'a> = (i64, i64, &'a str, Option<&'a Keyboard>, Option<&'a str>);

fn edits(d: &Decision) -> Vec<EditSeen<'_>> {
    sends(d)
        .into_iter()
        .filter_map(|s| match &s.message {
            Outgoing::Edit {
                chat,
                message,
                text,
                buttons,
                ..
            } => Some((
                chat.0,
                message.0,
                text.as_str(),
                buttons.as_ref(),
                s.coalesce.as_deref(),
            )),
            _ => None,
        })
        .collect()
}

fn press(from: i64, button: Button) -> Action {
    Action::Press {
        from: user(from, "Staff"),
        button: Some(button),
        press: Press {
            callback: Some("q1".into()),
            message: Some((ChatId(-100), MessageId(1))),
        },
    }
}

/// A press whose data the adapter could not read.
fn junk_press(from: i64) -> Action {
    Action::Press {
        from: user(from, "Staff"),
        button: None,
        press: Press {
            callback: Some("q1".into()),
            message: Some((ChatId(-100), MessageId(1))),
        },
    }
}

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

fn good_code() -> Code {
    Code {
        email: EmailAddress::parse("ann@example.com").unwrap(),
        code_hash: onboarding::code_hash(&key(), CustomerId(CUSTOMER), "654321"),
        created_at: NOW - 120_000,
        expires_at: NOW + 480_000,
        attempts: 0,
        used: false,
        send_failed: false,
    }
}

#[test]
fn a_stranger_is_welcomed_and_asked_for_an_email() {
    let w = World::new();
    let d = w.decide(
        &Action::Message(text(CUSTOMER, 1, "hi, my printer is broken")),
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
    let snap = Snapshot {
        customer: Some(customer(CustomerState::AwaitingEmail)),
        ..Snapshot::default()
    };
    let d = w.decide(&Action::Message(text(CUSTOMER, 2, "ann@localhost")), &snap);
    let said = texts_to(&d, CUSTOMER);
    assert!(said[0].contains("domain with a dot"), "{said:?}");
    assert!(said[1].contains("email address"));
    assert!(
        !d.changes
            .iter()
            .any(|c| matches!(c, Change::NewCode { .. }))
    );
    assert!(!d.effects.iter().any(|e| matches!(e, Effect::Mail(_))));
}

#[test]
fn a_valid_email_gets_a_code_by_mail_and_only_its_hash_is_kept() {
    let w = World::new();
    let snap = Snapshot {
        customer: Some(customer(CustomerState::AwaitingEmail)),
        ..Snapshot::default()
    };
    let d = w.decide(
        &Action::Message(text(CUSTOMER, 2, " Ann@Example.COM ")),
        &snap,
    );
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
    assert!(onboarding::code_matches(
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
    assert!(!d.effects.iter().any(|e| matches!(e, Effect::Mail(_))));

    snap.codes.last_sent_at = Some(NOW - 61_000);
    snap.codes.sent_last_hour = 5;
    let d = w.decide(&press(CUSTOMER, Button::ResendCode), &snap);
    assert!(answer(&d).contains("Too many codes"));

    snap.codes.sent_last_hour = 2;
    let d = w.decide(&press(CUSTOMER, Button::ResendCode), &snap);
    assert!(d.effects.iter().any(|e| matches!(e, Effect::Mail(_))));
}

#[test]
fn wrong_codes_count_down_then_lock() {
    let w = World::new();
    let mut code = good_code();
    let d = w.decide(
        &Action::Message(text(CUSTOMER, 3, "111111")),
        &awaiting_code_snapshot(code.clone()),
    );
    assert!(d.changes.contains(&Change::CodeAttempt {
        customer: CustomerId(CUSTOMER)
    }));
    assert!(texts_to(&d, CUSTOMER)[0].contains("Tries left: 4"));
    code.attempts = 4;
    let d = w.decide(
        &Action::Message(text(CUSTOMER, 4, "111111")),
        &awaiting_code_snapshot(code.clone()),
    );
    assert!(texts_to(&d, CUSTOMER)[0].contains("Too many wrong tries"));
    code.attempts = 5;
    // Even the right code is refused now.
    let d = w.decide(
        &Action::Message(text(CUSTOMER, 5, "654321")),
        &awaiting_code_snapshot(code),
    );
    assert!(texts_to(&d, CUSTOMER)[0].contains("Too many wrong tries"));
    assert!(
        !d.changes
            .iter()
            .any(|c| matches!(c, Change::CodeUsed { .. }))
    );
}

#[test]
fn an_expired_code_is_refused() {
    let w = World::new();
    let d = w.decide_at(
        &Action::Message(text(CUSTOMER, 3, "654321")),
        &awaiting_code_snapshot(good_code()),
        NOW + 600_000,
    );
    assert!(texts_to(&d, CUSTOMER)[0].contains("expired"));
}

#[test]
fn the_right_code_verifies_and_the_desk_is_told() {
    let w = World::new();
    let d = w.decide(
        &Action::Message(text(CUSTOMER, 3, "654 321")),
        &awaiting_code_snapshot(good_code()),
    );
    assert!(d.changes.contains(&Change::CodeUsed {
        customer: CustomerId(CUSTOMER)
    }));
    assert!(d.changes.iter().any(|c| matches!(
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
    let stored = onboarding::code_hash(&key(), CustomerId(CUSTOMER), "654321");
    assert!(onboarding::code_matches(
        &key(),
        CustomerId(CUSTOMER),
        "654321",
        &stored
    ));
    assert_eq!(
        stored,
        onboarding::code_hash(&key(), CustomerId(CUSTOMER), "654321")
    );
    // Another code, another customer, another installation's key: no match.
    assert!(!onboarding::code_matches(
        &key(),
        CustomerId(CUSTOMER),
        "654322",
        &stored
    ));
    assert!(!onboarding::code_matches(
        &key(),
        CustomerId(CUSTOMER + 1),
        "654321",
        &stored
    ));
    let other = CodeKey::new(&[8; CodeKey::LEN]);
    assert!(!onboarding::code_matches(
        &other,
        CustomerId(CUSTOMER),
        "654321",
        &stored
    ));
    assert_ne!(
        stored,
        onboarding::code_hash(&other, CustomerId(CUSTOMER), "654321")
    );
    // Not the unkeyed SHA-256 an earlier version stored (which gives the code back
    // to whoever tries the million codes).
    let unkeyed: String = ring::digest::digest(
        &ring::digest::SHA256,
        format!("relaydesk:{CUSTOMER}:654321").as_bytes(),
    )
    .as_ref()
    .iter()
    .map(|b| format!("{b:02x}"))
    .collect();
    assert!(!stored.contains(&unkeyed), "{stored}");
    assert!(!onboarding::code_matches(
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
    let unkeyed: String = ring::digest::digest(
        &ring::digest::SHA256,
        format!("relaydesk:{CUSTOMER}:654321").as_bytes(),
    )
    .as_ref()
    .iter()
    .map(|b| format!("{b:02x}"))
    .collect();
    let code = Code {
        code_hash: unkeyed,
        ..good_code()
    };
    let d = w.decide(
        &Action::Message(text(CUSTOMER, 3, "654321")),
        &awaiting_code_snapshot(code),
    );
    assert!(
        texts_to(&d, CUSTOMER)[0].contains("A new code is needed"),
        "{:?}",
        texts_to(&d, CUSTOMER)
    );
    // Neither verified nor counted as a wrong try.
    assert_eq!(d.changes.len(), 1, "{:?}", d.changes);
    assert!(matches!(d.changes[0], Change::TouchCustomer { .. }));
}

#[test]
fn email_can_change_only_during_onboarding() {
    let w = World::new();
    let snap = awaiting_code_snapshot(good_code());
    let d = w.decide(&press(CUSTOMER, Button::ChangeEmail), &snap);
    assert!(d.changes.iter().any(|c| matches!(
        c,
        Change::SetCustomerState {
            state: CustomerState::AwaitingEmail,
            ..
        }
    )));
    let verified = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        ..Snapshot::default()
    };
    let d = w.decide(&press(CUSTOMER, Button::ChangeEmail), &verified);
    assert!(answer(&d).contains("can no longer be changed"));
    assert!(
        d.changes
            .iter()
            .all(|c| !matches!(c, Change::SetCustomerState { .. }))
    );
}

#[test]
fn a_first_request_opens_and_announces_with_a_take_button() {
    let w = World::new();
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        next_communication_id: CommId(3),
        ..Snapshot::default()
    };
    let d = w.decide(
        &Action::Message(text(CUSTOMER, 7, "my <printer> & me")),
        &snap,
    );
    assert!(d.changes.contains(&Change::Open {
        id: CommId(3),
        customer: CustomerId(CUSTOMER)
    }));
    for watcher in [-100, -200, 9] {
        let (text, buttons) = texts_with_buttons(&d, watcher)
            .into_iter()
            .next()
            .expect("announced");
        assert!(
            text.contains("#3") && text.contains("my &lt;printer&gt; &amp; me"),
            "{text}"
        );
        if watcher == 9 {
            assert!(buttons.is_none(), "controllers only watch");
        } else {
            assert_eq!(first_button(buttons), Some(&Button::Take(CommId(3))));
        }
    }
    assert!(texts_to(&d, CUSTOMER)[0].contains("#3"));
}

#[test]
fn further_messages_edit_the_announcements() {
    let w = World::new();
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Unassigned, None)),
        announcements: vec![
            Announcement {
                chat_id: ChatId(-100),
                message_id: Some(MessageId(11)),
                active: true,
            },
            Announcement {
                chat_id: ChatId(-200),
                message_id: None,
                active: true,
            },
        ],
        ..Snapshot::default()
    };
    let d = w.decide(&Action::Message(text(CUSTOMER, 8, "more details")), &snap);
    let edits = edits(&d);
    assert_eq!(edits.len(), 1, "only announcements already sent are edited");
    let (chat, message, text, buttons, coalesce) = edits[0];
    assert_eq!((chat, message), (-100, 11));
    assert!(text.contains("more details"));
    assert_eq!(first_button(buttons), Some(&Button::Take(CommId(3))));
    assert_eq!(coalesce, Some("ann:3:-100"));
}

#[test]
fn take_refusals_name_the_reason() {
    let w = World::new();
    let mut snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Assigned, Some(BORIS))),
        ..Snapshot::default()
    };
    assert!(
        answer(&w.decide(&press(ANNA, Button::Take(CommId(3))), &snap))
            .contains("already taken by Boris")
    );
    assert!(
        answer(&w.decide(&press(BORIS, Button::Take(CommId(3))), &snap)).contains("already yours")
    );
    assert!(
        answer(&w.decide(&press(CUSTOMER, Button::Take(CommId(3))), &snap))
            .contains("Only support specialists")
    );
    snap.communication = Some(comm(Status::Unassigned, None));
    snap.actor_active = Some(CommId(2));
    let d = w.decide(&press(ANNA, Button::Take(CommId(3))), &snap);
    assert!(answer(&d).contains("Finish request #2 first"));
    assert!(d.changes.is_empty());
    snap.communication = None;
    assert!(
        answer(&w.decide(&press(ANNA, Button::Take(CommId(99))), &snap)).contains("no longer open")
    );
    assert!(answer(&w.decide(&junk_press(ANNA), &snap)).contains("no longer valid"));
}

#[test]
fn take_assigns_and_tells_everyone() {
    let w = World::new();
    let log = vec![
        LogEntry {
            at: NOW,
            role: Role::Customer,
            sender_id: CUSTOMER,
            chat_id: ChatId(CUSTOMER),
            message_id: MessageId(7),
            kind: Kind::Text,
            text: Some("hello".into()),
            file_name: None,
            file: None,
        },
        LogEntry {
            at: NOW,
            role: Role::Customer,
            sender_id: CUSTOMER,
            chat_id: ChatId(CUSTOMER),
            message_id: MessageId(8),
            kind: Kind::Photo,
            text: None,
            file_name: None,
            file: None,
        },
    ];
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Unassigned, None)),
        log,
        announcements: vec![Announcement {
            chat_id: ChatId(-100),
            message_id: Some(MessageId(11)),
            active: true,
        }],
        ..Snapshot::default()
    };
    let d = w.decide(&press(ANNA, Button::Take(CommId(3))), &snap);
    assert!(d.changes.contains(&Change::Assign {
        comm: CommId(3),
        specialist: StaffId(ANNA)
    }));
    assert!(
        d.changes
            .contains(&Change::DeactivateAnnouncements { comm: CommId(3) })
    );
    assert!(answer(&d).contains("#3 is yours"));
    let to_anna = texts_to(&d, ANNA);
    assert!(to_anna[0].contains("Request #3") && to_anna[0].contains("ann@example.com"));
    assert_eq!(runs(&d), vec![(ANNA, CUSTOMER, vec![7, 8])]);
    assert!(texts_to(&d, CUSTOMER)[0].contains("Anna is handling"));
    let edits = edits(&d);
    let (_, _, text, buttons, _) = edits.first().expect("the announcement is edited");
    assert!(buttons.is_none(), "the button goes");
    assert!(text.contains("Taken by Anna"));
    assert!(texts_to(&d, -200)[0].contains("taken by Anna"));
}

#[test]
fn relay_both_ways_and_the_idle_deadline() {
    let w = World::new();
    let mut assigned = comm(Status::Assigned, Some(ANNA));
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(assigned.clone()),
        reply_copy: Some(MessageId(77)),
        ..Snapshot::default()
    };
    let mut reply = text(ANNA, 20, "try turning it off");
    reply.reply_to = Some(MessageId(19));
    let d = w.decide(&Action::Message(reply), &snap);
    assert!(d.changes.contains(&Change::SetDeadline {
        comm: CommId(3),
        at: Some(NOW + 3_600_000)
    }));
    assert_eq!(copies(&d), vec![(CUSTOMER, ANNA, 20, Some(77))]);

    assigned.idle_deadline = Some(NOW + 10);
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(assigned),
        ..Snapshot::default()
    };
    let d = w.decide(&Action::Message(text(CUSTOMER, 21, "it worked")), &snap);
    assert!(d.changes.contains(&Change::SetDeadline {
        comm: CommId(3),
        at: None
    }));
    assert_eq!(copies(&d), vec![(ANNA, CUSTOMER, 21, None)]);
}

#[test]
fn album_parts_are_gathered_then_copied_together() {
    let w = World::new();
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Assigned, Some(ANNA))),
        ..Snapshot::default()
    };
    let mut part = text(CUSTOMER, 30, "");
    part.kind = Some(Kind::Photo);
    part.media_group_id = Some("alb".into());
    let d = w.decide(&Action::Message(part), &snap);
    assert!(d.changes.iter().any(|c| matches!(
        c,
        Change::AlbumPart {
            target: ChatId(ANNA),
            ..
        }
    )));
    assert!(messages(&d).is_empty());

    let snap = Snapshot {
        album: vec![
            (CommId(3), ChatId(ANNA), MessageId(32)),
            (CommId(3), ChatId(ANNA), MessageId(30)),
            (CommId(3), ChatId(ANNA), MessageId(31)),
        ],
        ..Snapshot::default()
    };
    let d = w.decide(
        &Action::AlbumDue {
            chat_id: ChatId(CUSTOMER),
            media_group_id: "alb".into(),
        },
        &snap,
    );
    assert_eq!(runs(&d), vec![(ANNA, CUSTOMER, vec![30, 31, 32])]);
    assert!(d.changes.contains(&Change::AlbumSent {
        chat: ChatId(CUSTOMER),
        media_group_id: "alb".into()
    }));
}

#[test]
fn timeout_closes_only_when_due() {
    let w = World::new();
    let mut c = comm(Status::Assigned, Some(ANNA));
    c.idle_deadline = Some(NOW + 1_000);
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(c),
        ..Snapshot::default()
    };
    let event = Action::IdleTimeout {
        communication_id: CommId(3),
    };
    assert!(w.decide(&event, &snap).changes.is_empty());
    let d = w.decide_at(&event, &snap, NOW + 1_000);
    assert!(d.changes.contains(&Change::Close {
        comm: CommId(3),
        reason: "timeout".into()
    }));
    assert!(texts_to(&d, CUSTOMER)[0].contains("no reply"));
    assert!(texts_to(&d, ANNA)[0].contains("did not answer in time"));
    assert!(texts_to(&d, -100)[0].contains("by timeout"));
}

#[test]
fn release_puts_it_back_with_a_fresh_announcement() {
    let w = World::new();
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Assigned, Some(ANNA))),
        ..Snapshot::default()
    };
    let d = w.decide(
        &Action::Command {
            from: user(ANNA, "Anna"),
            chat_id: ChatId(ANNA),
            command: Command::Release,
        },
        &snap,
    );
    assert!(d.changes.contains(&Change::Release { comm: CommId(3) }));
    assert!(d.changes.contains(&Change::NewAnnouncement {
        comm: CommId(3),
        chat: ChatId(-100)
    }));
    let (_, buttons) = texts_with_buttons(&d, -100)
        .into_iter()
        .find(|(_, b)| b.is_some())
        .expect("a new announcement with a button");
    assert_eq!(first_button(buttons), Some(&Button::Take(CommId(3))));
    assert!(texts_to(&d, CUSTOMER)[0].contains("back in the queue"));
    // Boris cannot release Anna's communication by a forged button.
    let d = w.decide(&press(BORIS, Button::Release(CommId(3))), &snap);
    assert!(d.changes.is_empty());
    assert!(answer(&d).contains("not yours"));
}

#[test]
fn a_blocked_customer_is_reported_to_the_specialist() {
    let w = World::new();
    let purpose = Purpose::Relay {
        comm: CommId(3),
        from_chat: ChatId(ANNA),
        from_msgs: vec![MessageId(20)],
        to_chat: ChatId(CUSTOMER),
        notify: Some(StaffId(ANNA)),
    };
    let d = w.decide(
        &Action::DeliveryFailed {
            purpose,
            code: 403,
            description: "Forbidden: bot was blocked by the user".into(),
        },
        &Snapshot::default(),
    );
    assert!(d.changes.contains(&Change::MarkBlocked {
        customer: CustomerId(CUSTOMER)
    }));
    assert!(texts_to(&d, ANNA)[0].contains("blocked the bot"));
}

#[test]
fn a_specialist_without_a_communication_gets_an_explanation() {
    let w = World::new();
    let d = w.decide(
        &Action::Message(text(ANNA, 1, "hello?")),
        &Snapshot::default(),
    );
    assert!(texts_to(&d, ANNA)[0].contains("no active request"));
    assert!(d.changes.is_empty());
}

#[test]
fn a_request_opened_outside_working_hours_gets_one_auto_reply() {
    let mut w = World::new();
    let mut hours = crate::domain::hours::WorkingHours::closed(chrono_tz::Tz::UTC);
    hours.days = [crate::domain::hours::parse_range("09:00-10:00").unwrap(); 7];
    w.policy.hours = Some(hours);
    let day = w.policy.day_start(NOW);
    const H: i64 = 3_600_000;
    let opening = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        next_communication_id: CommId(3),
        ..Snapshot::default()
    };
    let message = Action::Message(text(CUSTOMER, 7, "help"));

    // At 12:00 the desk is closed: received, then when the team is back.
    let d = w.decide_at(&message, &opening, day + 12 * H);
    let told = texts_to(&d, CUSTOMER);
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told[0].contains("#3"), "{told:?}");
    assert!(told[1].contains("outside working hours"), "{told:?}");
    assert!(told[1].contains("09:00 (UTC)"), "{told:?}");
    assert!(!texts_with_buttons(&d, -100).is_empty(), "still announced");

    // A further message to the open communication: no second auto-reply.
    let open = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Unassigned, None)),
        ..Snapshot::default()
    };
    let d = w.decide_at(&message, &open, day + 12 * H + 60_000);
    assert!(texts_to(&d, CUSTOMER).is_empty());

    // Within working hours: no auto-reply.
    let d = w.decide_at(&message, &opening, day + 9 * H + 30 * 60_000);
    assert_eq!(texts_to(&d, CUSTOMER).len(), 1);
}

// ---------------------------------------------------------------------------------
// Reminders, escalation and the close warning (SPEC §6.3)
// ---------------------------------------------------------------------------------

const MIN: i64 = 60_000;

fn with_reminders() -> World {
    let mut w = World::new();
    let steps = vec![
        std::time::Duration::from_secs(15 * 60),
        std::time::Duration::from_secs(30 * 60),
        std::time::Duration::from_secs(60 * 60),
    ];
    w.policy.unassigned_steps = steps.clone();
    w.policy.unanswered_steps = steps;
    w.policy.close_warning = std::time::Duration::from_secs(10 * 60);
    w
}

fn deadline(kind: DeadlineKind, step: u32, started_at: i64, due_at: i64) -> Deadline {
    Deadline {
        kind,
        step,
        started_at,
        due_at: Some(due_at),
    }
}

fn due(kind: DeadlineKind) -> Action {
    Action::Reminder {
        communication_id: CommId(3),
        kind,
    }
}

fn schedule(kind: DeadlineKind, step: u32, started_at: i64, due_at: Option<i64>) -> Change {
    Change::Schedule {
        comm: CommId(3),
        kind,
        step,
        started_at,
        due_at,
    }
}

fn customer_entry(msg: i64) -> LogEntry {
    LogEntry {
        at: NOW,
        role: Role::Customer,
        sender_id: CUSTOMER,
        chat_id: ChatId(CUSTOMER),
        message_id: MessageId(msg),
        kind: Kind::Text,
        text: Some("hello".into()),
        file_name: None,
        file: None,
    }
}

fn unassigned_with(d: Deadline) -> Snapshot {
    Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Unassigned, None)),
        deadlines: vec![d],
        ..Snapshot::default()
    }
}

#[test]
fn opening_starts_the_unassigned_steps_counted_time() {
    let w = with_reminders();
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        next_communication_id: CommId(3),
        ..Snapshot::default()
    };
    let d = w.decide(&Action::Message(text(CUSTOMER, 7, "help")), &snap);
    assert!(d.changes.contains(&schedule(
        DeadlineKind::Unassigned,
        0,
        NOW,
        Some(NOW + 15 * MIN)
    )));
    assert!(d.touches_timers());
    // No steps configured: nothing is scheduled.
    let d = World::new().decide(&Action::Message(text(CUSTOMER, 7, "help")), &snap);
    assert!(
        !d.changes
            .iter()
            .any(|c| matches!(c, Change::Schedule { .. }))
    );
}

#[test]
fn each_unassigned_step_is_a_new_message_with_take_and_the_last_escalates() {
    let w = with_reminders();
    let start = NOW - 15 * MIN;
    let snap = unassigned_with(deadline(DeadlineKind::Unassigned, 0, start, NOW));
    let d = w.decide(&due(DeadlineKind::Unassigned), &snap);
    for group in [-100, -200] {
        let sent = texts_with_buttons(&d, group);
        assert_eq!(sent.len(), 1, "one new message per service group");
        assert!(
            sent[0].0.contains("waiting for a specialist for 15m"),
            "{}",
            sent[0].0
        );
        assert_eq!(first_button(sent[0].1), Some(&Button::Take(CommId(3))));
    }
    assert!(
        texts_to(&d, 9).is_empty(),
        "controllers only at the last step"
    );
    assert!(edits(&d).is_empty(), "not an edit");
    assert!(d.changes.contains(&Change::ReminderSent {
        comm: CommId(3),
        kind: DeadlineKind::Unassigned,
        step: 0,
        escalated: false,
    }));
    assert!(d.changes.contains(&schedule(
        DeadlineKind::Unassigned,
        1,
        start,
        Some(start + 30 * MIN)
    )));

    // The last step: the groups and the controllers; then nothing more is due.
    let snap = unassigned_with(deadline(
        DeadlineKind::Unassigned,
        2,
        start,
        start + 60 * MIN,
    ));
    let d = w.decide_at(&due(DeadlineKind::Unassigned), &snap, start + 60 * MIN);
    assert_eq!(texts_to(&d, -100).len(), 1);
    let to_controller = texts_with_buttons(&d, 9);
    assert!(
        to_controller[0]
            .0
            .contains("Nobody has taken request #3 for 1h")
    );
    assert!(to_controller[0].1.is_none(), "controllers only watch");
    assert!(d.changes.contains(&Change::ReminderSent {
        comm: CommId(3),
        kind: DeadlineKind::Unassigned,
        step: 2,
        escalated: true,
    }));
    assert!(
        d.changes
            .contains(&schedule(DeadlineKind::Unassigned, 3, start, None))
    );
}

#[test]
fn steps_missed_while_down_fire_once_only_the_latest() {
    let w = with_reminders();
    let start = NOW - 45 * MIN;
    let snap = unassigned_with(deadline(
        DeadlineKind::Unassigned,
        0,
        start,
        start + 15 * MIN,
    ));
    let d = w.decide(&due(DeadlineKind::Unassigned), &snap);
    assert_eq!(texts_to(&d, -100).len(), 1, "one reminder, not a burst");
    let sent: Vec<_> = d
        .changes
        .iter()
        .filter(|c| matches!(c, Change::ReminderSent { .. }))
        .collect();
    assert_eq!(
        sent,
        [&Change::ReminderSent {
            comm: CommId(3),
            kind: DeadlineKind::Unassigned,
            step: 1,
            escalated: false,
        }]
    );
    assert!(d.changes.contains(&schedule(
        DeadlineKind::Unassigned,
        2,
        start,
        Some(start + 60 * MIN)
    )));
    // Down past the last step: only the last (with its escalation).
    let d = w.decide_at(&due(DeadlineKind::Unassigned), &snap, start + 5 * 60 * MIN);
    assert_eq!(texts_to(&d, -100).len(), 1);
    assert_eq!(texts_to(&d, 9).len(), 1);
}

#[test]
fn a_step_never_fires_early_nor_after_its_condition_ended() {
    let w = with_reminders();
    let snap = unassigned_with(deadline(DeadlineKind::Unassigned, 0, NOW, NOW + 15 * MIN));
    let d = w.decide(&due(DeadlineKind::Unassigned), &snap);
    assert!(d.effects.is_empty() && d.changes.is_empty(), "not due yet");

    // Taken meanwhile: no reminder, the stale deadline goes.
    let mut snap = unassigned_with(deadline(DeadlineKind::Unassigned, 0, NOW, NOW));
    snap.communication = Some(comm(Status::Assigned, Some(ANNA)));
    let d = w.decide(&due(DeadlineKind::Unassigned), &snap);
    assert!(d.effects.is_empty());
    assert_eq!(
        d.changes,
        [Change::Unschedule {
            comm: CommId(3),
            kind: DeadlineKind::Unassigned
        }]
    );
    // Answered meanwhile (no unanswered deadline any more): nothing.
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Assigned, Some(ANNA))),
        ..Snapshot::default()
    };
    let d = w.decide(&due(DeadlineKind::Unanswered), &snap);
    assert!(d.effects.is_empty() && d.changes.is_empty());
}

#[test]
fn take_ends_the_unassigned_steps_and_starts_the_unanswered_ones() {
    let w = with_reminders();
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Unassigned, None)),
        log: vec![customer_entry(7)],
        deadlines: vec![deadline(DeadlineKind::Unassigned, 1, NOW - MIN, NOW + MIN)],
        ..Snapshot::default()
    };
    let d = w.decide(&press(ANNA, Button::Take(CommId(3))), &snap);
    // The store drops every deadline with the assignment; the customer wrote before
    // the Take, so the unanswered steps count from it.
    let assign = d
        .changes
        .iter()
        .position(|c| matches!(c, Change::Assign { .. }));
    let unanswered = d
        .changes
        .iter()
        .position(|c| *c == schedule(DeadlineKind::Unanswered, 0, NOW, Some(NOW + 15 * MIN)));
    assert!(assign.is_some() && unanswered > assign, "{:?}", d.changes);
    assert!(!d.changes.iter().any(|c| matches!(
        c,
        Change::Schedule {
            kind: DeadlineKind::Unassigned,
            ..
        }
    )));
}

#[test]
fn release_starts_the_unassigned_steps_again() {
    let w = with_reminders();
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Assigned, Some(ANNA))),
        ..Snapshot::default()
    };
    let d = w.decide(&press(ANNA, Button::Release(CommId(3))), &snap);
    let release = d
        .changes
        .iter()
        .position(|c| matches!(c, Change::Release { .. }));
    let steps = d
        .changes
        .iter()
        .position(|c| *c == schedule(DeadlineKind::Unassigned, 0, NOW, Some(NOW + 15 * MIN)));
    assert!(release.is_some() && steps > release, "{:?}", d.changes);
}

#[test]
fn unanswered_counts_from_the_first_unanswered_message_and_ends_with_an_answer() {
    let w = with_reminders();
    let assigned = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Assigned, Some(ANNA))),
        ..Snapshot::default()
    };
    let d = w.decide(&Action::Message(text(CUSTOMER, 21, "hello?")), &assigned);
    assert!(d.changes.contains(&schedule(
        DeadlineKind::Unanswered,
        0,
        NOW,
        Some(NOW + 15 * MIN)
    )));
    // A second message while the first waits does not restart the count.
    let mut waiting = assigned.clone();
    waiting.deadlines = vec![deadline(
        DeadlineKind::Unanswered,
        0,
        NOW - MIN,
        NOW + 14 * MIN,
    )];
    let d = w.decide(&Action::Message(text(CUSTOMER, 22, "anyone?")), &waiting);
    assert!(
        !d.changes
            .iter()
            .any(|c| matches!(c, Change::Schedule { .. }))
    );
    // The specialist answers: the steps end, the close warning is set before the close.
    let d = w.decide(&Action::Message(text(ANNA, 23, "here")), &waiting);
    assert!(d.changes.contains(&Change::Unschedule {
        comm: CommId(3),
        kind: DeadlineKind::Unanswered
    }));
    assert!(d.changes.contains(&schedule(
        DeadlineKind::CloseWarning,
        0,
        NOW,
        Some(NOW + 50 * MIN)
    )));
}

#[test]
fn unanswered_steps_remind_the_specialist_and_the_last_names_them_to_controllers() {
    let w = with_reminders();
    let start = NOW - 15 * MIN;
    let mut snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Assigned, Some(ANNA))),
        deadlines: vec![deadline(DeadlineKind::Unanswered, 0, start, NOW)],
        ..Snapshot::default()
    };
    let d = w.decide(&due(DeadlineKind::Unanswered), &snap);
    let to_anna = texts_to(&d, ANNA);
    assert_eq!(to_anna.len(), 1);
    assert!(
        to_anna[0].contains("waiting for your answer for 15m"),
        "{}",
        to_anna[0]
    );
    assert!(texts_to(&d, 9).is_empty());
    assert!(texts_to(&d, -100).is_empty(), "private, not in the groups");
    assert!(d.changes.contains(&schedule(
        DeadlineKind::Unanswered,
        1,
        start,
        Some(start + 30 * MIN)
    )));

    snap.deadlines = vec![deadline(
        DeadlineKind::Unanswered,
        2,
        start,
        start + 60 * MIN,
    )];
    let d = w.decide_at(&due(DeadlineKind::Unanswered), &snap, start + 60 * MIN);
    assert_eq!(texts_to(&d, ANNA).len(), 1);
    assert!(texts_to(&d, 9)[0].contains("an answer from Anna for 1h"));
    assert!(d.changes.contains(&Change::ReminderSent {
        comm: CommId(3),
        kind: DeadlineKind::Unanswered,
        step: 2,
        escalated: true,
    }));
}

#[test]
fn the_close_warning_goes_to_the_customer_before_the_close_and_an_answer_cancels() {
    let w = with_reminders();
    let mut c = comm(Status::Assigned, Some(ANNA));
    c.idle_deadline = Some(NOW + 10 * MIN);
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(c),
        deadlines: vec![deadline(DeadlineKind::CloseWarning, 0, NOW - 50 * MIN, NOW)],
        ..Snapshot::default()
    };
    let d = w.decide(&due(DeadlineKind::CloseWarning), &snap);
    let to_customer = texts_to(&d, CUSTOMER);
    assert!(
        to_customer[0].contains("will be closed in 10m unless you answer"),
        "{}",
        to_customer[0]
    );
    assert!(d.changes.contains(&Change::Unschedule {
        comm: CommId(3),
        kind: DeadlineKind::CloseWarning
    }));
    assert!(!d.changes.iter().any(|c| matches!(c, Change::Close { .. })));

    // The customer answers: no close, no warning.
    let d = w.decide(&Action::Message(text(CUSTOMER, 30, "still here")), &snap);
    assert!(d.changes.contains(&Change::SetDeadline {
        comm: CommId(3),
        at: None
    }));
    assert!(d.changes.contains(&Change::Unschedule {
        comm: CommId(3),
        kind: DeadlineKind::CloseWarning
    }));
}

#[test]
fn spans_read_as_people_write_them() {
    assert_eq!(desk::span_text(0), "0s");
    assert_eq!(desk::span_text(3_000), "3s");
    assert_eq!(desk::span_text(15 * MIN), "15m");
    assert_eq!(desk::span_text(90 * MIN + 20_000), "1h 30m");
    assert_eq!(desk::span_text(61_000), "1m 1s");
}

// Satisfaction surveys (SPEC §6.5).

const WINDOW_MS: i64 = 600_000;

fn closed_snapshot() -> Snapshot {
    Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Assigned, Some(ANNA))),
        ..Snapshot::default()
    }
}

fn survey() -> Survey {
    Survey {
        comm: CommId(3),
        customer_id: CustomerId(CUSTOMER),
        specialist_id: Some(StaffId(ANNA)),
        asked_at: NOW - 60_000,
        message_id: Some(MessageId(77)),
        rating: None,
        rated_at: None,
        comment: None,
        comment_until: None,
        awaiting_comment: false,
    }
}

fn rated(rating: u8, until: i64) -> Survey {
    Survey {
        rating: Some(rating),
        rated_at: Some(until - WINDOW_MS),
        comment_until: Some(until),
        awaiting_comment: true,
        ..survey()
    }
}

fn customer_press(from: i64, button: Button) -> Action {
    Action::Press {
        from: user(from, "Ann"),
        button: Some(button),
        press: Press {
            callback: Some("q1".into()),
            message: Some((ChatId(from), MessageId(78))),
        },
    }
}

fn rate(comm: i64, rating: u8) -> Button {
    Button::Rate {
        comm: CommId(comm),
        rating,
    }
}

fn survey_snapshot(s: Survey) -> Snapshot {
    Snapshot {
        survey: Some(s),
        ..Snapshot::default()
    }
}

fn the_survey_sent(d: &Decision) -> Option<&Send> {
    sends(d)
        .into_iter()
        .find(|s| matches!(s.purpose, Some(Purpose::Survey { .. })))
}

#[test]
fn a_close_by_the_specialist_asks_the_customer_to_rate_with_five_buttons() {
    let w = World::new();
    let d = w.decide(&press(ANNA, Button::Close(CommId(3))), &closed_snapshot());
    assert!(d.changes.contains(&Change::NewSurvey {
        comm: CommId(3),
        customer: CustomerId(CUSTOMER),
        specialist: Some(StaffId(ANNA)),
    }));
    let send = the_survey_sent(&d).expect("a survey");
    assert_eq!(
        send.purpose,
        Some(Purpose::Survey {
            comm: CommId(3),
            customer: CustomerId(CUSTOMER)
        })
    );
    let Outgoing::Text {
        chat,
        text,
        buttons: Some(k),
        ..
    } = &send.message
    else {
        panic!("a text with buttons: {:?}", send.message);
    };
    assert_eq!(*chat, ChatId(CUSTOMER));
    assert_eq!(text, "How would you rate the help with request #3?");
    let keys: Vec<&Key> = k.0.iter().flatten().collect();
    assert_eq!(keys.len(), 5);
    for (i, key) in keys.iter().enumerate() {
        let digit = u8::try_from(i + 1).unwrap();
        assert!(key.label.contains(&digit.to_string()), "{}", key.label);
        assert_eq!(key.button, rate(3, digit));
    }
}

#[test]
fn a_timeout_close_asks_too_and_a_disabled_survey_asks_nothing() {
    let mut w = World::new();
    let mut snap = closed_snapshot();
    if let Some(c) = snap.communication.as_mut() {
        c.idle_deadline = Some(NOW);
    }
    let event = Action::IdleTimeout {
        communication_id: CommId(3),
    };
    let d = w.decide(&event, &snap);
    assert!(the_survey_sent(&d).is_some());
    w.policy.csat.enabled = false;
    let d = w.decide(&event, &snap);
    assert!(the_survey_sent(&d).is_none());
    assert!(
        !d.changes
            .iter()
            .any(|c| matches!(c, Change::NewSurvey { .. }))
    );
}

#[test]
fn the_survey_message_id_is_recorded_when_delivered() {
    let w = World::new();
    let d = w.decide(
        &Action::Delivered {
            purpose: Purpose::Survey {
                comm: CommId(3),
                customer: CustomerId(CUSTOMER),
            },
            copies: vec![MessageId(77)],
        },
        &Snapshot::default(),
    );
    assert_eq!(
        d.changes,
        vec![Change::SurveySent {
            comm: CommId(3),
            message_id: MessageId(77)
        }]
    );
}

#[test]
fn a_rating_is_recorded_shown_on_the_question_and_a_comment_is_asked() {
    let w = World::new();
    let d = w.decide(
        &customer_press(CUSTOMER, rate(3, 5)),
        &survey_snapshot(survey()),
    );
    assert_eq!(
        d.changes,
        vec![Change::Rate {
            comm: CommId(3),
            rating: 5,
            comment_until: Some(NOW + WINDOW_MS)
        }]
    );
    assert!(answer(&d).contains("Your rating: 5"));
    let edits = edits(&d);
    assert_eq!(edits.len(), 1);
    let (chat, message, text, buttons, _) = edits[0];
    assert_eq!((chat, message), (CUSTOMER, 77));
    assert!(text.contains("Your rating: ★★★★★ 5/5"), "{text}");
    assert!(buttons.is_some(), "the rating may still change");
    let asked = texts_with_buttons(&d, CUSTOMER);
    assert_eq!(asked.len(), 1);
    assert!(asked[0].0.contains("write a comment"));
    assert_eq!(
        first_button(asked[0].1),
        Some(&Button::SkipComment(CommId(3)))
    );
    for staff in [ANNA, -100, -200, 9] {
        let seen = texts_to(&d, staff);
        assert_eq!(seen.len(), 1, "{staff}");
        assert!(
            seen[0].contains("#3 was rated ★★★★★ 5/5 by Ann"),
            "{}",
            seen[0]
        );
    }
}

#[test]
fn a_second_press_changes_the_rating_within_the_window_only() {
    let w = World::new();
    let snap = survey_snapshot(rated(5, NOW + 1_000));
    let d = w.decide(&customer_press(CUSTOMER, rate(3, 3)), &snap);
    assert_eq!(
        d.changes,
        vec![Change::Rate {
            comm: CommId(3),
            rating: 3,
            comment_until: None
        }]
    );
    assert!(
        texts_to(&d, CUSTOMER).is_empty(),
        "no second comment prompt"
    );
    assert!(texts_to(&d, ANNA)[0].contains("changed the rating to ★★★☆☆ 3/5"));
    let late = w.decide_at(&customer_press(CUSTOMER, rate(3, 3)), &snap, NOW + 1_001);
    assert!(late.changes.is_empty());
    assert!(answer(&late).contains("can no longer be changed"));
}

#[test]
fn presses_on_another_customers_or_an_old_survey_are_refused() {
    let w = World::new();
    let snap = survey_snapshot(survey());
    for stranger in [77, ANNA, 9] {
        let d = w.decide(&customer_press(stranger, rate(3, 1)), &snap);
        assert!(d.changes.is_empty());
        assert_eq!(answer(&d), "This survey is not yours.");
    }
    let d = w.decide(
        &customer_press(CUSTOMER, Button::SkipComment(CommId(3))),
        &survey_snapshot(survey()),
    );
    assert!(d.changes.is_empty());
    let old = w.decide_at(
        &customer_press(CUSTOMER, rate(3, 4)),
        &snap,
        NOW - 60_000 + csat::SURVEY_MAX_AGE_MS + 1,
    );
    assert!(old.changes.is_empty());
    assert!(answer(&old).contains("older than 7 days"));
    let none = w.decide(&customer_press(CUSTOMER, rate(4, 4)), &snap);
    assert!(none.changes.is_empty());
    assert!(answer(&none).contains("no survey on request #4"));
}

fn verified_with(s: Option<Survey>) -> Snapshot {
    Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        next_communication_id: CommId(4),
        survey: s,
        ..Snapshot::default()
    }
}

#[test]
fn the_next_text_in_the_window_is_the_comment_not_a_request() {
    let w = World::new();
    let snap = verified_with(Some(rated(4, NOW + 1_000)));
    let d = w.decide(&Action::Message(text(CUSTOMER, 20, "Quick & kind")), &snap);
    assert!(d.changes.contains(&Change::Comment {
        comm: CommId(3),
        text: "Quick & kind".into()
    }));
    assert!(!d.changes.iter().any(|c| matches!(c, Change::Open { .. })));
    assert!(texts_to(&d, CUSTOMER)[0].contains("Thank you for your feedback"));
    for staff in [ANNA, -100] {
        let seen = texts_to(&d, staff);
        assert!(seen[0].contains("request #3 (4/5) from Ann"), "{}", seen[0]);
        assert!(seen[0].contains("Quick &amp; kind"));
    }
    // After the window the same text opens a request.
    let later = w.decide_at(
        &Action::Message(text(CUSTOMER, 21, "A new problem")),
        &snap,
        NOW + 1_001,
    );
    assert!(
        later
            .changes
            .iter()
            .any(|c| matches!(c, Change::Open { .. }))
    );
    assert!(
        !later
            .changes
            .iter()
            .any(|c| matches!(c, Change::Comment { .. }))
    );
}

#[test]
fn skip_ends_the_wait_and_a_photo_ends_it_too() {
    let w = World::new();
    let d = w.decide(
        &customer_press(CUSTOMER, Button::SkipComment(CommId(3))),
        &survey_snapshot(rated(5, NOW + 1_000)),
    );
    assert_eq!(d.changes, vec![Change::EndComment { comm: CommId(3) }]);
    let edits = edits(&d);
    assert_eq!((edits[0].0, edits[0].1), (CUSTOMER, 78));
    assert!(edits[0].3.is_none(), "the Skip button goes");
    let photo = Incoming {
        kind: Some(Kind::Photo),
        text: None,
        ..text(CUSTOMER, 22, "")
    };
    let d = w.decide(
        &Action::Message(photo),
        &verified_with(Some(rated(5, NOW + 1_000))),
    );
    assert!(d.changes.contains(&Change::EndComment { comm: CommId(3) }));
    assert!(d.changes.iter().any(|c| matches!(c, Change::Open { .. })));
}
