//! Transfer, departments, notes, canned answers and blocking (SPEC §7).

use super::*;

const CONTROLLER: i64 = 9;

/// The changes but the audit entries; and the audit entries' (actor, action).
fn split_audit(d: &Decision) -> (Vec<&Change>, Vec<(String, &'static str)>) {
    let mut changes = Vec::new();
    let mut audit = Vec::new();
    for c in &d.changes {
        match c {
            Change::Audit(e) => audit.push((e.actor.key(), e.action.as_str())),
            other => changes.push(other),
        }
    }
    (changes, audit)
}

fn command(from: i64, command: Command) -> Action {
    Action::Command {
        from: user(from, "Staff"),
        chat_id: ChatId(from),
        command,
    }
}

fn line(role: Role, sender: i64, msg: i64, kind: Kind, text: &str) -> LogEntry {
    LogEntry {
        at: NOW,
        role,
        sender_id: sender,
        chat_id: ChatId(sender),
        message_id: MessageId(msg),
        kind,
        text: Some(text.into()),
        file_name: None,
        file: None,
    }
}

/// Anna holds request #3 with a customer message, her answer and a note.
fn annas() -> Snapshot {
    Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Assigned, Some(ANNA))),
        log: vec![
            line(Role::Customer, CUSTOMER, 7, Kind::Text, "my invoice"),
            line(Role::Specialist, ANNA, 20, Kind::Text, "looking"),
            line(Role::Specialist, ANNA, 0, Kind::Note, "VIP customer"),
        ],
        ..Snapshot::default()
    }
}

/// Two departments: billing (group -100, Anna) and tech (group -200, Boris).
fn departments() -> World {
    let mut w = World::new();
    w.policy.departments = vec![
        Department {
            key: "billing".into(),
            name: "Billing".into(),
            service_groups: vec![ChatId(-100)],
            specialists: vec![StaffId(ANNA)],
        },
        Department {
            key: "tech".into(),
            name: "Tech".into(),
            service_groups: vec![ChatId(-200)],
            specialists: vec![StaffId(BORIS)],
        },
    ];
    w
}

fn announced_in(d: &Decision) -> Vec<i64> {
    d.changes
        .iter()
        .filter_map(|c| match c {
            Change::NewAnnouncement { chat, .. } => Some(chat.0),
            _ => None,
        })
        .collect()
}

#[test]
fn a_transfer_to_a_free_colleague_hands_over_card_history_and_notes() {
    let w = World::new();
    let to_boris = Button::TransferTo {
        comm: CommId(3),
        to: StaffId(BORIS),
    };
    let d = w.decide(&press(ANNA, to_boris), &annas());
    assert!(d.changes.contains(&Change::Transfer {
        comm: CommId(3),
        from: StaffId(ANNA),
        to: StaffId(BORIS)
    }));
    let to_boris = texts_to(&d, BORIS);
    assert!(
        to_boris[0].contains("transferred to you by Anna"),
        "{to_boris:?}"
    );
    assert!(to_boris[1].contains("Request #3"), "the card: {to_boris:?}");
    let history = to_boris[2..].join("\n");
    assert!(
        history.contains("VIP customer") && history.contains("note"),
        "{history}"
    );
    // The chat messages are copied; the note (no chat message) is not.
    assert_eq!(
        runs(&d),
        vec![(BORIS, CUSTOMER, vec![7]), (BORIS, ANNA, vec![20])]
    );
    assert!(texts_to(&d, CUSTOMER)[0].contains("now handled by Boris"));
    assert_eq!(split_audit(&d).1, [("5".to_string(), "transfer")]);
    assert!(texts_to(&d, ANNA)[0].contains("transferred to Boris"));
    for group in [-100, -200, CONTROLLER] {
        assert!(texts_to(&d, group)[0].contains("Anna → Boris"), "{group}");
    }
}

#[test]
fn a_transfer_to_a_busy_colleague_is_refused_and_changes_nothing() {
    let w = World::new();
    let snap = Snapshot {
        busy: vec![(StaffId(BORIS), CommId(8))],
        ..annas()
    };
    let to_boris = Button::TransferTo {
        comm: CommId(3),
        to: StaffId(BORIS),
    };
    let d = w.decide(&press(ANNA, to_boris.clone()), &snap);
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    assert!(answer(&d).contains("Boris is busy"));
    // Not Anna's: refused too.
    let d = w.decide(&press(BORIS, to_boris), &annas());
    assert!(d.changes.is_empty());
    assert!(answer(&d).contains("not yours") || answer(&d).contains("#3"));
}

#[test]
fn the_transfer_list_marks_busy_colleagues_and_offers_other_queues() {
    let w = departments();
    let mut snap = annas();
    snap.communication.as_mut().unwrap().department = "billing".into();
    snap.busy = vec![(StaffId(BORIS), CommId(8))];
    let d = w.decide(&command(ANNA, Command::Transfer), &snap);
    let (text, keys) = texts_with_buttons(&d, ANNA)[0];
    assert!(text.contains("#3"));
    let labels: Vec<&str> = keys
        .unwrap()
        .0
        .iter()
        .map(|r| r[0].label.as_str())
        .collect();
    assert_eq!(labels, ["Boris (busy)", "To the queue: Tech"]);
}

#[test]
fn a_transfer_to_another_department_requeues_it_there_only() {
    let w = departments();
    let mut snap = annas();
    snap.communication.as_mut().unwrap().department = "billing".into();
    let d = w.decide(
        &press(
            ANNA,
            Button::TransferQueue {
                comm: CommId(3),
                department: 2,
            },
        ),
        &snap,
    );
    assert_eq!(
        d.changes[..2],
        [
            Change::Release { comm: CommId(3) },
            Change::SetDepartment {
                comm: CommId(3),
                department: "tech".into()
            }
        ]
    );
    assert_eq!(announced_in(&d), vec![-200, CONTROLLER]);
    // Boris of tech may take it now; Anna of billing may not.
    let mut queued = snap.clone();
    let c = queued.communication.as_mut().unwrap();
    c.status = Status::Unassigned;
    c.specialist_id = None;
    c.department = "tech".into();
    let d = w.decide(&press(ANNA, Button::Take(CommId(3))), &queued);
    assert!(d.changes.is_empty());
    assert!(answer(&d).contains("Tech department"));
    let d = w.decide(&press(BORIS, Button::Take(CommId(3))), &queued);
    assert!(d.changes.iter().any(|c| matches!(c, Change::Assign { .. })));
}

#[test]
fn with_departments_a_new_request_waits_for_the_customers_choice() {
    let w = departments();
    let d = w.decide(&says(CUSTOMER, 7, "help"), &new_request());
    assert!(
        d.changes
            .contains(&Change::AwaitDepartment { comm: CommId(3) })
    );
    assert!(d.changes.iter().any(|c| matches!(c, Change::Log { .. })));
    assert!(announced_in(&d).is_empty());
    let (_, keys) = texts_with_buttons(&d, CUSTOMER)[0];
    let keys: Vec<&Button> = keys.unwrap().0.iter().map(|r| &r[0].button).collect();
    assert_eq!(
        keys,
        [
            &Button::Department {
                comm: CommId(3),
                department: 1
            },
            &Button::Department {
                comm: CommId(3),
                department: 2
            }
        ]
    );
    // Typing "2" opens it in tech, announced there only, with the first message.
    let mut waiting = comm(Status::Unassigned, None);
    waiting.choosing = true;
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(waiting),
        log: vec![line(Role::Customer, CUSTOMER, 7, Kind::Text, "help")],
        ..Snapshot::default()
    };
    for action in [
        Action::Message(text(CUSTOMER, 8, "2")),
        Action::Press {
            from: user(CUSTOMER, "Ann"),
            button: Some(Button::Department {
                comm: CommId(3),
                department: 2,
            }),
            press: Press::default(),
        },
    ] {
        let d = w.decide(&action, &snap);
        assert!(d.changes.contains(&Change::SetDepartment {
            comm: CommId(3),
            department: "tech".into()
        }));
        assert!(!d.changes.iter().any(|c| matches!(c, Change::Log { .. })));
        assert_eq!(announced_in(&d), vec![-200, CONTROLLER]);
        let announcement = texts_to(&d, -200).join("\n");
        assert!(announcement.contains("help") && announcement.contains("Tech"));
    }
    // Anything else is kept and the question asked again; someone else's press is
    // refused.
    let d = w.decide(&Action::Message(text(CUSTOMER, 8, "hello?")), &snap);
    assert!(d.changes.iter().any(|c| matches!(c, Change::Log { .. })));
    assert!(announced_in(&d).is_empty());
    let foreign = Action::Press {
        from: user(77, "Eve"),
        button: Some(Button::Department {
            comm: CommId(3),
            department: 1,
        }),
        press: Press::default(),
    };
    assert!(w.decide(&foreign, &snap).changes.is_empty());
}

#[test]
fn without_departments_nothing_changes() {
    let w = World::new();
    let d = w.decide(&says(CUSTOMER, 7, "help"), &new_request());
    assert!(
        !d.changes
            .iter()
            .any(|c| matches!(c, Change::AwaitDepartment { .. }))
    );
    assert_eq!(announced_in(&d), vec![-100, -200, CONTROLLER]);
}

#[test]
fn a_note_is_logged_confirmed_and_never_sent_to_the_customer() {
    let w = World::new();
    let d = w.decide(
        &command(ANNA, Command::Note("call back at 5".into())),
        &annas(),
    );
    let (changes, audit) = split_audit(&d);
    assert_eq!(
        changes,
        [&Change::Note {
            comm: CommId(3),
            author: StaffId(ANNA),
            text: "call back at 5".into()
        }]
    );
    assert_eq!(audit, [("5".to_string(), "note")]);
    assert!(texts_to(&d, ANNA)[0].contains("Note on request #3 saved"));
    assert!(messages(&d).iter().all(|m| !matches!(m,
        Outgoing::Text { chat, .. } | Outgoing::Copy { to: chat, .. } if *chat == ChatId(CUSTOMER))));
    let empty = w.decide(&command(ANNA, Command::Note(String::new())), &annas());
    assert!(empty.changes.is_empty());
}

#[test]
fn a_canned_answer_is_filled_sent_and_logged_as_the_specialists() {
    let mut w = World::new();
    w.policy.canned = vec![Canned {
        key: "hello".into(),
        title: "Greeting".into(),
        text: "Hello, {customer}! I am {specialist}, on request #{request}. <b>".into(),
    }];
    let d = w.decide(
        &command(ANNA, Command::Canned(Some("hello".into()))),
        &annas(),
    );
    let to_customer = texts_to(&d, CUSTOMER);
    assert_eq!(
        to_customer,
        ["Hello, Ann! I am Anna, on request #3. &lt;b&gt;"]
    );
    assert!(d.changes.iter().any(|c| matches!(c,
        Change::Log { role: Role::Specialist, message, .. }
            if message.kind == Some(Kind::Canned)
                && message.text.as_deref() == Some("Hello, Ann! I am Anna, on request #3. <b>"))));
    assert_eq!(split_audit(&d).1, [("5".to_string(), "canned")]);
    // The idle close counts from the answer.
    assert!(
        d.changes
            .iter()
            .any(|c| matches!(c, Change::SetDeadline { at: Some(_), .. }))
    );
    // An unknown key lists them; a stored one is found, the configured key wins.
    let stored = Snapshot {
        canned: vec![
            Canned {
                key: "hello".into(),
                title: "Stored".into(),
                text: "overridden".into(),
            },
            Canned {
                key: "bye".into(),
                title: "Bye".into(),
                text: "Bye!".into(),
            },
        ],
        ..annas()
    };
    let d = w.decide(
        &command(ANNA, Command::Canned(Some("nope".into()))),
        &stored,
    );
    let (text, keys) = texts_with_buttons(&d, ANNA)[0];
    assert!(text.contains("nope"));
    let keys: Vec<&Button> = keys.unwrap().0.iter().map(|r| &r[0].button).collect();
    assert_eq!(
        keys,
        [
            &Button::Canned("hello".into()),
            &Button::Canned("bye".into())
        ]
    );
    assert!(d.changes.is_empty());
    let d = w.decide(&press(ANNA, Button::Canned("bye".into())), &stored);
    assert_eq!(texts_to(&d, CUSTOMER), ["Bye!"]);
}

#[test]
fn block_closes_without_a_survey_and_keeps_later_messages_quietly() {
    let w = World::new();
    let d = w.decide(&command(ANNA, Command::Block(Target::Own)), &annas());
    assert!(d.changes.contains(&Change::Close {
        comm: CommId(3),
        reason: "blocked".into()
    }));
    assert!(d.changes.contains(&Change::Block {
        customer: CustomerId(CUSTOMER)
    }));
    assert!(
        !d.changes
            .iter()
            .any(|c| matches!(c, Change::NewSurvey { .. }))
    );
    let to_customer = texts_to(&d, CUSTOMER);
    assert_eq!(to_customer.len(), 1, "{to_customer:?}");
    assert!(to_customer[0].contains("blocked"));
    // Later messages: stored, not announced, told nothing more.
    let mut blocked = customer(CustomerState::Verified);
    blocked.banned = true;
    blocked.ban_told = true;
    let snap = Snapshot {
        customer: Some(blocked),
        next_communication_id: CommId(4),
        ..Snapshot::default()
    };
    let d = w.decide(&Action::Message(text(CUSTOMER, 9, "spam")), &snap);
    assert!(
        d.changes
            .iter()
            .any(|c| matches!(c, Change::BlockedMessage { .. }))
    );
    assert!(!d.changes.iter().any(|c| matches!(c, Change::Open { .. })));
    assert!(messages(&d).is_empty(), "{:?}", messages(&d));
}

#[test]
fn only_controllers_block_and_unblock_by_id() {
    let w = World::new();
    let mut blocked = customer(CustomerState::Verified);
    blocked.banned = true;
    let snap = Snapshot {
        customer: Some(blocked),
        ..Snapshot::default()
    };
    let unblock = Command::Unblock(Target::Id(CustomerId(CUSTOMER)));
    let d = w.decide(&command(ANNA, unblock.clone()), &snap);
    assert!(d.changes.is_empty());
    assert!(texts_to(&d, ANNA)[0].contains("Only controllers"));
    let d = w.decide(&command(CONTROLLER, unblock), &snap);
    let (changes, audit) = split_audit(&d);
    assert_eq!(
        changes,
        [&Change::Unblock {
            customer: CustomerId(CUSTOMER)
        }]
    );
    assert_eq!(audit, [("9".to_string(), "unblock")]);
    let snap = Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(Status::Unassigned, None)),
        ..Snapshot::default()
    };
    let d = w.decide(
        &command(CONTROLLER, Command::Block(Target::Id(CustomerId(CUSTOMER)))),
        &snap,
    );
    assert!(d.changes.contains(&Change::Close {
        comm: CommId(3),
        reason: "blocked".into()
    }));
    assert!(d.changes.contains(&Change::Block {
        customer: CustomerId(CUSTOMER)
    }));
    let (_, audit) = split_audit(&d);
    assert_eq!(
        audit,
        [("9".to_string(), "close"), ("9".to_string(), "block")]
    );
}
