//! The lifecycle without I/O: snapshots in, decisions out, the clock passed in.

use serde_json::json;

use super::*;
use crate::config::{Config, Locale};
use crate::domain::texts::Texts;

const NOW: i64 = 1_700_000_000_000;
const ANNA: i64 = 5;
const BORIS: i64 = 6;
const CUSTOMER: i64 = 42;

fn config() -> Config {
    Config::from_toml_str(
        r#"
[telegram]
token = "1:a"
[smtp]
host = "smtp.example.com"
from = "Desk <desk@example.com>"
[timeouts]
idle_close = "1h"
[[specialists]]
chat_id = 5
name = "Anna"
[[specialists]]
chat_id = 6
name = "Boris"
[[service_groups]]
chat_id = -100
name = "Support"
[[service_groups]]
chat_id = -200
name = "Night shift"
[[controllers]]
chat_id = 9
name = "Head"
"#,
    )
    .unwrap()
}

/// The installation's code key in these tests.
fn key() -> CodeKey {
    CodeKey::new(&[7; CodeKey::LEN])
}

struct World {
    config: Config,
    texts: Texts,
    key: CodeKey,
}

impl World {
    fn new() -> World {
        World {
            config: config(),
            texts: Texts::new(Locale::En, &Default::default()).unwrap(),
            key: key(),
        }
    }

    fn decide(&self, event: &Event, snap: &Snapshot) -> Decision {
        self.decide_at(event, snap, NOW)
    }

    fn decide_at(&self, event: &Event, snap: &Snapshot, now: i64) -> Decision {
        let env = Env {
            now,
            fresh_code: "123456",
            code_key: &self.key,
            config: &self.config,
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
        chat_id: from,
        message_id: msg,
        from: user(from, if from == CUSTOMER { "Ann" } else { "Staff" }),
        kind: Some(Kind::Text),
        text: Some(text.into()),
        ..Incoming::default()
    }
}

fn customer(state: CustomerState) -> Customer {
    Customer {
        user: user(CUSTOMER, "Ann"),
        email: Some("ann@example.com".into()),
        state,
        blocked: false,
    }
}

fn comm(status: Status, specialist: Option<i64>) -> Communication {
    Communication {
        id: 3,
        customer_id: CUSTOMER,
        status,
        specialist_id: specialist,
        opened_at: NOW - 60_000,
        idle_deadline: None,
        closed_at: None,
        close_reason: None,
    }
}

fn calls(d: &Decision) -> Vec<&Call> {
    d.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Telegram { call, .. } => Some(call),
            Effect::Mail(_) | Effect::Zip { .. } => None,
        })
        .collect()
}

fn texts_to(d: &Decision, chat: i64) -> Vec<String> {
    calls(d)
        .into_iter()
        .filter(|c| c.method == "sendMessage" && c.chat_id == Some(chat))
        .map(|c| c.params["text"].as_str().unwrap_or("").to_string())
        .collect()
}

fn answer(d: &Decision) -> String {
    calls(d)
        .into_iter()
        .find(|c| c.method == "answerCallbackQuery")
        .map(|c| c.params["text"].as_str().unwrap_or("").to_string())
        .expect("the callback is answered")
}

fn press(from: i64, data: &str) -> Event {
    Event::Callback {
        id: "q1".into(),
        from: user(from, "Staff"),
        chat_id: Some(-100),
        message_id: Some(1),
        data: data.into(),
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
        email: "ann@example.com".into(),
        code_hash: onboarding::code_hash(&key(), CUSTOMER, "654321"),
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
        &Event::Message(text(CUSTOMER, 1, "hi, my printer is broken")),
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
    let d = w.decide(&Event::Message(text(CUSTOMER, 2, "ann@localhost")), &snap);
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
        &Event::Message(text(CUSTOMER, 2, " Ann@Example.COM ")),
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
    assert_eq!(new_code.1, "Ann@example.com");
    assert_ne!(new_code.0, "123456");
    assert!(onboarding::code_matches(
        &key(),
        CUSTOMER,
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
        customer: CUSTOMER,
        state: CustomerState::AwaitingCode,
        email: Some("Ann@example.com".into()),
    }));
    // The code itself never goes to Telegram.
    assert!(
        calls(&d)
            .iter()
            .all(|c| !c.params.to_string().contains("123456"))
    );
}

#[test]
fn resend_respects_the_cooldown_and_the_hourly_cap() {
    let w = World::new();
    let mut snap = awaiting_code_snapshot(good_code());
    snap.codes.last_sent_at = Some(NOW - 10_000);
    let d = w.decide(&press(CUSTOMER, "rs"), &snap);
    assert!(answer(&d).contains("in 50 s"), "{}", answer(&d));
    assert!(!d.effects.iter().any(|e| matches!(e, Effect::Mail(_))));

    snap.codes.last_sent_at = Some(NOW - 61_000);
    snap.codes.sent_last_hour = 5;
    let d = w.decide(&press(CUSTOMER, "rs"), &snap);
    assert!(answer(&d).contains("Too many codes"));

    snap.codes.sent_last_hour = 2;
    let d = w.decide(&press(CUSTOMER, "rs"), &snap);
    assert!(d.effects.iter().any(|e| matches!(e, Effect::Mail(_))));
}

#[test]
fn wrong_codes_count_down_then_lock() {
    let w = World::new();
    let mut code = good_code();
    let d = w.decide(
        &Event::Message(text(CUSTOMER, 3, "111111")),
        &awaiting_code_snapshot(code.clone()),
    );
    assert!(
        d.changes
            .contains(&Change::CodeAttempt { customer: CUSTOMER })
    );
    assert!(texts_to(&d, CUSTOMER)[0].contains("Tries left: 4"));
    code.attempts = 4;
    let d = w.decide(
        &Event::Message(text(CUSTOMER, 4, "111111")),
        &awaiting_code_snapshot(code.clone()),
    );
    assert!(texts_to(&d, CUSTOMER)[0].contains("Too many wrong tries"));
    code.attempts = 5;
    // Even the right code is refused now.
    let d = w.decide(
        &Event::Message(text(CUSTOMER, 5, "654321")),
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
        &Event::Message(text(CUSTOMER, 3, "654321")),
        &awaiting_code_snapshot(good_code()),
        NOW + 600_000,
    );
    assert!(texts_to(&d, CUSTOMER)[0].contains("expired"));
}

#[test]
fn the_right_code_verifies_and_the_desk_is_told() {
    let w = World::new();
    let d = w.decide(
        &Event::Message(text(CUSTOMER, 3, "654 321")),
        &awaiting_code_snapshot(good_code()),
    );
    assert!(d.changes.contains(&Change::CodeUsed { customer: CUSTOMER }));
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
    let stored = onboarding::code_hash(&key(), CUSTOMER, "654321");
    assert!(onboarding::code_matches(
        &key(),
        CUSTOMER,
        "654321",
        &stored
    ));
    assert_eq!(stored, onboarding::code_hash(&key(), CUSTOMER, "654321"));
    // Another code, another customer, another installation's key: no match.
    assert!(!onboarding::code_matches(
        &key(),
        CUSTOMER,
        "654322",
        &stored
    ));
    assert!(!onboarding::code_matches(
        &key(),
        CUSTOMER + 1,
        "654321",
        &stored
    ));
    let other = CodeKey::new(&[8; CodeKey::LEN]);
    assert!(!onboarding::code_matches(
        &other, CUSTOMER, "654321", &stored
    ));
    assert_ne!(stored, onboarding::code_hash(&other, CUSTOMER, "654321"));
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
        CUSTOMER,
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
        &Event::Message(text(CUSTOMER, 3, "654321")),
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
    let d = w.decide(&press(CUSTOMER, "e"), &snap);
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
    let d = w.decide(&press(CUSTOMER, "e"), &verified);
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
        next_communication_id: 3,
        ..Snapshot::default()
    };
    let d = w.decide(
        &Event::Message(text(CUSTOMER, 7, "my <printer> & me")),
        &snap,
    );
    assert!(d.changes.contains(&Change::Open {
        id: 3,
        customer: CUSTOMER
    }));
    for watcher in [-100, -200, 9] {
        let call = calls(&d)
            .into_iter()
            .find(|c| c.chat_id == Some(watcher))
            .expect("announced");
        let text = call.params["text"].as_str().unwrap();
        assert!(
            text.contains("#3") && text.contains("my &lt;printer&gt; &amp; me"),
            "{text}"
        );
        if watcher == 9 {
            assert!(
                call.params.get("reply_markup").is_none(),
                "controllers only watch"
            );
        } else {
            assert_eq!(
                call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
                "t:3"
            );
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
                chat_id: -100,
                message_id: Some(11),
                active: true,
            },
            Announcement {
                chat_id: -200,
                message_id: None,
                active: true,
            },
        ],
        ..Snapshot::default()
    };
    let d = w.decide(&Event::Message(text(CUSTOMER, 8, "more details")), &snap);
    let edits: Vec<_> = d
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Telegram { call, coalesce } if call.method == "editMessageText" => {
                Some((call, coalesce))
            }
            _ => None,
        })
        .collect();
    assert_eq!(edits.len(), 1, "only announcements already sent are edited");
    assert_eq!(edits[0].0.params["message_id"], 11);
    assert!(
        edits[0].0.params["text"]
            .as_str()
            .unwrap()
            .contains("more details")
    );
    assert_eq!(edits[0].1.as_deref(), Some("ann:3:-100"));
}

#[test]
fn take_refusals_name_the_reason() {
    let w = World::new();
    let mut snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Assigned, Some(BORIS))),
        ..Snapshot::default()
    };
    assert!(answer(&w.decide(&press(ANNA, "t:3"), &snap)).contains("already taken by Boris"));
    assert!(answer(&w.decide(&press(BORIS, "t:3"), &snap)).contains("already yours"));
    assert!(answer(&w.decide(&press(CUSTOMER, "t:3"), &snap)).contains("Only support specialists"));
    snap.communication = Some(comm(Status::Unassigned, None));
    snap.actor_active = Some(2);
    let d = w.decide(&press(ANNA, "t:3"), &snap);
    assert!(answer(&d).contains("Finish request #2 first"));
    assert!(d.changes.is_empty());
    snap.communication = None;
    assert!(answer(&w.decide(&press(ANNA, "t:99"), &snap)).contains("no longer open"));
    assert!(answer(&w.decide(&press(ANNA, "t:junk"), &snap)).contains("no longer valid"));
}

#[test]
fn take_assigns_and_tells_everyone() {
    let w = World::new();
    let log = vec![
        LogEntry {
            at: NOW,
            role: Role::Customer,
            sender_id: CUSTOMER,
            chat_id: CUSTOMER,
            message_id: 7,
            kind: Kind::Text,
            text: Some("hello".into()),
            file_name: None,
            file: None,
        },
        LogEntry {
            at: NOW,
            role: Role::Customer,
            sender_id: CUSTOMER,
            chat_id: CUSTOMER,
            message_id: 8,
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
            chat_id: -100,
            message_id: Some(11),
            active: true,
        }],
        ..Snapshot::default()
    };
    let d = w.decide(&press(ANNA, "t:3"), &snap);
    assert!(d.changes.contains(&Change::Assign {
        comm: 3,
        specialist: ANNA
    }));
    assert!(
        d.changes
            .contains(&Change::DeactivateAnnouncements { comm: 3 })
    );
    assert!(answer(&d).contains("#3 is yours"));
    let to_anna = texts_to(&d, ANNA);
    assert!(to_anna[0].contains("Request #3") && to_anna[0].contains("ann@example.com"));
    let copies: Vec<_> = calls(&d)
        .into_iter()
        .filter(|c| c.method == "copyMessages")
        .collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].params["message_ids"], json!([7, 8]));
    assert!(texts_to(&d, CUSTOMER)[0].contains("Anna is handling"));
    let edit = calls(&d)
        .into_iter()
        .find(|c| c.method == "editMessageText")
        .unwrap();
    assert!(edit.params.get("reply_markup").is_none(), "the button goes");
    assert!(
        edit.params["text"]
            .as_str()
            .unwrap()
            .contains("Taken by Anna")
    );
    assert!(texts_to(&d, -200)[0].contains("taken by Anna"));
}

#[test]
fn relay_both_ways_and_the_idle_deadline() {
    let w = World::new();
    let mut assigned = comm(Status::Assigned, Some(ANNA));
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(assigned.clone()),
        reply_copy: Some(77),
        ..Snapshot::default()
    };
    let mut reply = text(ANNA, 20, "try turning it off");
    reply.reply_to = Some(19);
    let d = w.decide(&Event::Message(reply), &snap);
    assert!(d.changes.contains(&Change::SetDeadline {
        comm: 3,
        at: Some(NOW + 3_600_000)
    }));
    let copy = calls(&d)
        .into_iter()
        .find(|c| c.method == "copyMessage")
        .unwrap();
    assert_eq!(copy.params["chat_id"], CUSTOMER);
    assert_eq!(copy.params["from_chat_id"], ANNA);
    assert_eq!(copy.params["reply_parameters"]["message_id"], 77);

    assigned.idle_deadline = Some(NOW + 10);
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(assigned),
        ..Snapshot::default()
    };
    let d = w.decide(&Event::Message(text(CUSTOMER, 21, "it worked")), &snap);
    assert!(
        d.changes
            .contains(&Change::SetDeadline { comm: 3, at: None })
    );
    let copy = calls(&d)
        .into_iter()
        .find(|c| c.method == "copyMessage")
        .unwrap();
    assert_eq!(copy.params["chat_id"], ANNA);
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
    let d = w.decide(&Event::Message(part), &snap);
    assert!(
        d.changes
            .iter()
            .any(|c| matches!(c, Change::AlbumPart { target: ANNA, .. }))
    );
    assert!(calls(&d).is_empty());

    let snap = Snapshot {
        album: vec![(3, ANNA, 32), (3, ANNA, 30), (3, ANNA, 31)],
        ..Snapshot::default()
    };
    let d = w.decide(
        &Event::AlbumDue {
            chat_id: CUSTOMER,
            media_group_id: "alb".into(),
        },
        &snap,
    );
    let copy = calls(&d)
        .into_iter()
        .find(|c| c.method == "copyMessages")
        .unwrap();
    assert_eq!(copy.params["message_ids"], json!([30, 31, 32]));
    assert!(d.changes.contains(&Change::AlbumSent {
        chat: CUSTOMER,
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
    let event = Event::IdleTimeout {
        communication_id: 3,
    };
    assert!(w.decide(&event, &snap).changes.is_empty());
    let d = w.decide_at(&event, &snap, NOW + 1_000);
    assert!(d.changes.contains(&Change::Close {
        comm: 3,
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
        &Event::Command {
            from: user(ANNA, "Anna"),
            chat_id: ANNA,
            name: "release".into(),
        },
        &snap,
    );
    assert!(d.changes.contains(&Change::Release { comm: 3 }));
    assert!(d.changes.contains(&Change::NewAnnouncement {
        comm: 3,
        chat: -100
    }));
    let fresh = calls(&d)
        .into_iter()
        .find(|c| c.chat_id == Some(-100) && c.params.get("reply_markup").is_some())
        .expect("a new announcement with a button");
    assert_eq!(
        fresh.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "t:3"
    );
    assert!(texts_to(&d, CUSTOMER)[0].contains("back in the queue"));
    // Boris cannot release Anna's communication by a forged button.
    let d = w.decide(&press(BORIS, "r:3"), &snap);
    assert!(d.changes.is_empty());
    assert!(answer(&d).contains("not yours"));
}

#[test]
fn a_blocked_customer_is_reported_to_the_specialist() {
    let w = World::new();
    let purpose = Purpose::Relay {
        comm: 3,
        from_chat: ANNA,
        from_msgs: vec![20],
        to_chat: CUSTOMER,
        notify: Some(ANNA),
    };
    let d = w.decide(
        &Event::DeliveryFailed {
            purpose,
            code: 403,
            description: "Forbidden: bot was blocked by the user".into(),
        },
        &Snapshot::default(),
    );
    assert!(
        d.changes
            .contains(&Change::MarkBlocked { customer: CUSTOMER })
    );
    assert!(texts_to(&d, ANNA)[0].contains("blocked the bot"));
}

#[test]
fn a_specialist_without_a_communication_gets_an_explanation() {
    let w = World::new();
    let d = w.decide(
        &Event::Message(text(ANNA, 1, "hello?")),
        &Snapshot::default(),
    );
    assert!(texts_to(&d, ANNA)[0].contains("no active request"));
    assert!(d.changes.is_empty());
}
