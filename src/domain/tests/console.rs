//! The web console's decisions: a sign-in code for the staff only, and a reply
//! from the console as the specialist's own message.

use super::*;

fn feedback(d: &Decision) -> Vec<(&str, bool)> {
    d.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Feedback { text, alert } => Some((text.as_str(), *alert)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_code_goes_to_staff_only_and_is_stored_as_a_keyed_hash() {
    let w = World::new();
    for staff in [ANNA, 9] {
        let d = w.decide(
            &Action::ConsoleCode {
                staff: StaffId(staff),
            },
            &Snapshot::default(),
        );
        let hash = match d.changes.as_slice() {
            [
                Change::ConsoleCode {
                    staff: s,
                    hash,
                    expires_at,
                },
            ] => {
                assert_eq!(*s, StaffId(staff));
                assert_eq!(*expires_at, NOW + 5 * 60 * 1000);
                hash.clone()
            }
            other => panic!("{other:?}"),
        };
        assert!(!hash.contains("123456"));
        assert!(crate::domain::console::code_matches(
            &w.key,
            StaffId(staff),
            "123456",
            &hash
        ));
        assert!(!crate::domain::console::code_matches(
            &w.key,
            StaffId(staff),
            "123457",
            &hash
        ));
        assert!(!crate::domain::console::code_matches(
            &w.key,
            StaffId(BORIS),
            "123456",
            &hash
        ));
        // Never the onboarding hash of the same digits.
        assert_ne!(hash, code_hash(&w.key, CustomerId(staff), "123456"));
        let sent = sends(&d);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].message.chat(), Some(ChatId(staff)));
        assert_eq!(
            sent[0].coalesce.as_deref(),
            Some(crate::domain::console::code_message_key(StaffId(staff)).as_str())
        );
        assert!(texts_to(&d, staff).iter().any(|t| t.contains("123456")));
    }
    for stranger in [CUSTOMER, 777] {
        let d = w.decide(
            &Action::ConsoleCode {
                staff: StaffId(stranger),
            },
            &Snapshot::default(),
        );
        assert!(d.changes.is_empty() && d.effects.is_empty(), "{d:?}");
    }
}

fn reply(from: i64, comm_id: i64, text: &str) -> Action {
    Action::ConsoleReply {
        from: user(from, "Anna"),
        comm: CommId(comm_id),
        text: text.into(),
    }
}

#[test]
fn a_console_reply_is_the_specialists_message() {
    let w = World::new();
    let snap = Snapshot {
        communication: Some(comm(Status::Assigned, Some(ANNA))),
        customer: Some(customer(CustomerState::Verified)),
        ..Snapshot::default()
    };
    let d = w.decide(&reply(ANNA, 3, "  Tom & <Jerry>  "), &snap);
    let logged = d
        .changes
        .iter()
        .find_map(|c| match c {
            Change::Log {
                role: Role::Specialist,
                message,
                ..
            } => Some(message),
            _ => None,
        })
        .expect("logged");
    assert_eq!(logged.kind, Some(Kind::Web));
    assert_eq!(logged.text.as_deref(), Some("Tom & <Jerry>"));
    assert!(
        d.changes.iter().any(
            |c| matches!(c, Change::Figures { figures, .. } if figures.first_response.is_some())
        ),
        "the first response: {:?}",
        d.changes
    );
    assert_eq!(texts_to(&d, CUSTOMER), ["Tom &amp; &lt;Jerry&gt;"]);
    assert!(texts_to(&d, ANNA)[0].contains("Tom &amp; &lt;Jerry&gt;"));
    let audited: Vec<_> = d
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Audit(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(audited.len(), 1, "{:?}", d.changes);
    assert_eq!(audited[0].action, crate::domain::AuditAction::Reply);
    assert_eq!(audited[0].details, "via=console");
    assert_eq!(feedback(&d), [("Sent to the customer.", false)]);
}

#[test]
fn a_console_reply_is_refused_off_the_specialists_active_request() {
    let w = World::new();
    let theirs = Snapshot {
        communication: Some(comm(Status::Assigned, Some(ANNA))),
        ..Snapshot::default()
    };
    for (action, snap) in [
        (reply(ANNA, 4, "hi"), &theirs),
        (reply(BORIS, 3, "hi"), &Snapshot::default()),
        (reply(ANNA, 3, "   "), &theirs),
        (
            reply(ANNA, 3, &"x".repeat(crate::domain::console::MAX_REPLY + 1)),
            &theirs,
        ),
        (reply(9, 3, "hi"), &theirs),
    ] {
        let d = w.decide(&action, snap);
        assert!(sends(&d).is_empty(), "{action:?}: {d:?}");
        assert!(
            d.changes
                .iter()
                .all(|c| !matches!(c, Change::Log { .. } | Change::Audit(_)))
        );
        let words = feedback(&d);
        assert_eq!(words.len(), 1, "{words:?}");
        assert!(words[0].1, "a refusal");
    }
}

#[test]
fn a_staff_members_username_is_kept_from_telegram_only() {
    let w = World::new();
    let stats = |id: i64, username: Option<&str>| Action::Command {
        from: User {
            username: username.map(String::from),
            ..user(id, "Someone")
        },
        chat_id: ChatId(id),
        command: Command::Stats,
    };
    let seen = |d: &Decision| -> Vec<(StaffId, String)> {
        d.changes
            .iter()
            .filter_map(|c| match c {
                Change::StaffSeen { staff, username } => Some((*staff, username.clone())),
                _ => None,
            })
            .collect()
    };
    let d = w.decide(&stats(ANNA, Some("anna_s")), &Snapshot::default());
    assert_eq!(seen(&d), [(StaffId(ANNA), "anna_s".to_string())]);
    // Not without a username, not for a customer, not from the console.
    assert!(seen(&w.decide(&stats(ANNA, None), &Snapshot::default())).is_empty());
    assert!(seen(&w.decide(&stats(CUSTOMER, Some("ann")), &Snapshot::default())).is_empty());
    assert!(seen(&w.decide(&reply(ANNA, 3, "hi"), &Snapshot::default())).is_empty());
}
