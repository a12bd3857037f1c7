//! The decisions without I/O: snapshots in, decisions out, the clock passed in.
//! Shared helpers here, with the desk's own tests; onboarding, reminders and
//! surveys in their files.

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
            customer: None,
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

/// `from`'s text message `msg` in their chat with the bot.
fn says(from: i64, msg: i64, words: &str) -> Action {
    Action::Message(text(from, msg, words))
}

fn customer(state: CustomerState) -> Customer {
    Customer {
        user: user(CUSTOMER, "Ann"),
        email: Some(EmailAddress::parse("ann@example.com").unwrap()),
        state,
        blocked: false,
        banned: false,
        ban_told: false,
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
        department: String::new(),
        choosing: false,
    }
}

/// Ann's text "hello" (message `msg`) in the log, at `NOW`.
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

/// Ann, verified, and her communication `c`.
fn with_comm(c: Communication) -> Snapshot {
    Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(c),
        ..Snapshot::default()
    }
}

/// Ann, verified, with nothing open: her next message opens request #3.
fn new_request() -> Snapshot {
    Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        next_communication_id: CommId(3),
        ..Snapshot::default()
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

/// A press by `from` under `message` (`button: None`: data the adapter could not
/// read).
fn press_by(from: User, button: Option<Button>, message: (ChatId, MessageId)) -> Action {
    Action::Press {
        from,
        button,
        press: Press {
            callback: Some("q1".into()),
            message: Some(message),
        },
    }
}

/// A press by a member of staff under a message in the first service group.
fn press(from: i64, button: Button) -> Action {
    press_by(
        user(from, "Staff"),
        Some(button),
        (ChatId(-100), MessageId(1)),
    )
}

/// A press whose data the adapter could not read.
fn junk_press(from: i64) -> Action {
    press_by(user(from, "Staff"), None, (ChatId(-100), MessageId(1)))
}

/// Whether `d` makes a change that `f` picks.
fn any_change(d: &Decision, f: impl Fn(&Change) -> bool) -> bool {
    d.changes.iter().any(f)
}

/// Where the first of `d`'s changes that `f` picks stands.
fn change_index(d: &Decision, f: impl Fn(&Change) -> bool) -> Option<usize> {
    d.changes.iter().position(f)
}

/// Whether `d` sends an email.
fn mails(d: &Decision) -> bool {
    d.effects.iter().any(|e| matches!(e, Effect::Mail(_)))
}

#[test]
fn a_first_request_opens_and_announces_with_a_take_button() {
    let w = World::new();
    let snap = new_request();
    let d = w.decide(&says(CUSTOMER, 7, "my <printer> & me"), &snap);
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
        ..with_comm(comm(Status::Unassigned, None))
    };
    let d = w.decide(&says(CUSTOMER, 8, "more details"), &snap);
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
    let mut snap = with_comm(comm(Status::Assigned, Some(BORIS)));
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
        customer_entry(7),
        LogEntry {
            kind: Kind::Photo,
            text: None,
            ..customer_entry(8)
        },
    ];
    let snap = Snapshot {
        log,
        announcements: vec![Announcement {
            chat_id: ChatId(-100),
            message_id: Some(MessageId(11)),
            active: true,
        }],
        ..with_comm(comm(Status::Unassigned, None))
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
        reply_copy: Some(MessageId(77)),
        ..with_comm(assigned.clone())
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
    let snap = with_comm(assigned);
    let d = w.decide(&says(CUSTOMER, 21, "it worked"), &snap);
    assert!(d.changes.contains(&Change::SetDeadline {
        comm: CommId(3),
        at: None
    }));
    assert_eq!(copies(&d), vec![(ANNA, CUSTOMER, 21, None)]);
}

#[test]
fn album_parts_are_gathered_then_copied_together() {
    let w = World::new();
    let snap = with_comm(comm(Status::Assigned, Some(ANNA)));
    let mut part = text(CUSTOMER, 30, "");
    part.kind = Some(Kind::Photo);
    part.media_group_id = Some("alb".into());
    let d = w.decide(&Action::Message(part), &snap);
    assert!(any_change(&d, |c| matches!(
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
    let snap = with_comm(c);
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
    let snap = with_comm(comm(Status::Assigned, Some(ANNA)));
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
    let d = w.decide(&says(ANNA, 1, "hello?"), &Snapshot::default());
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
    let opening = new_request();
    let message = says(CUSTOMER, 7, "help");

    // At 12:00 the desk is closed: received, then when the team is back.
    let d = w.decide_at(&message, &opening, day + 12 * H);
    let told = texts_to(&d, CUSTOMER);
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told[0].contains("#3"), "{told:?}");
    assert!(told[1].contains("outside working hours"), "{told:?}");
    assert!(told[1].contains("09:00 (UTC)"), "{told:?}");
    assert!(!texts_with_buttons(&d, -100).is_empty(), "still announced");

    // A further message to the open communication: no second auto-reply.
    let open = with_comm(comm(Status::Unassigned, None));
    let d = w.decide_at(&message, &open, day + 12 * H + 60_000);
    assert!(texts_to(&d, CUSTOMER).is_empty());

    // Within working hours: no auto-reply.
    let d = w.decide_at(&message, &opening, day + 9 * H + 30 * 60_000);
    assert_eq!(texts_to(&d, CUSTOMER).len(), 1);
}

mod audit;
mod console;
mod csat;
mod onboarding;
mod reminders;
mod toolbox;
mod wild;
