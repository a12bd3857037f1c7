//! The audit log (SPEC §7.6), without I/O: each action done records exactly one
//! entry among its changes, with its actor and details; a refused or repeated
//! press records none.

use super::csat::{customer_press, rate, rated, survey, survey_snapshot, verified_with};
use super::*;

/// The audit entries a decision records.
fn audits(d: &Decision) -> Vec<&AuditEntry> {
    d.changes
        .iter()
        .filter_map(|c| match c {
            Change::Audit(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn entry(actor: Actor, action: AuditAction) -> AuditEntry {
    AuditEntry::new(actor, action, Some(CommId(3)))
}

const BY_ANNA: Actor = Actor::Staff(StaffId(ANNA));

fn command(from: i64, command: Command) -> Action {
    Action::Command {
        from: user(from, "Staff"),
        chat_id: ChatId(from),
        command,
    }
}

fn with(status: Status, specialist: Option<i64>) -> Snapshot {
    Snapshot {
        customer: Some(customer(CustomerState::Verified)),
        communication: Some(comm(status, specialist)),
        ..Snapshot::default()
    }
}

#[test]
fn a_take_records_one_entry_by_the_specialist() {
    let w = World::new();
    let d = w.decide(
        &press(ANNA, Button::Take(CommId(3))),
        &with(Status::Unassigned, None),
    );
    assert_eq!(audits(&d), [&entry(BY_ANNA, AuditAction::Take)]);
}

#[test]
fn refused_takes_record_nothing() {
    let w = World::new();
    let take = |from| press(from, Button::Take(CommId(3)));
    let mut busy = with(Status::Unassigned, None);
    busy.actor_active = Some(CommId(2));
    for (action, snap) in [
        // Taken by Boris; already Anna's; Anna busy with #2; gone; not staff.
        (take(ANNA), with(Status::Assigned, Some(BORIS))),
        (take(ANNA), with(Status::Assigned, Some(ANNA))),
        (take(ANNA), busy),
        (take(ANNA), with(Status::Closed, Some(BORIS))),
        (take(ANNA), Snapshot::default()),
        (take(CUSTOMER), with(Status::Unassigned, None)),
        (take(9), with(Status::Unassigned, None)),
        (junk_press(ANNA), with(Status::Unassigned, None)),
    ] {
        let d = w.decide(&action, &snap);
        assert!(audits(&d).is_empty(), "{action:?}: {:?}", d.changes);
    }
}

#[test]
fn a_release_records_one_entry_however_it_is_asked() {
    let w = World::new();
    let snap = with(Status::Assigned, Some(ANNA));
    for action in [
        command(ANNA, Command::Release),
        press(ANNA, Button::Release(CommId(3))),
        press(ANNA, Button::Menu(MenuItem::Release)),
    ] {
        let d = w.decide(&action, &snap);
        assert_eq!(
            audits(&d),
            [&entry(BY_ANNA, AuditAction::Release)],
            "{action:?}"
        );
    }
    // Boris cannot release Anna's; nobody releases what is not theirs.
    for (action, snap) in [
        (press(BORIS, Button::Release(CommId(3))), snap.clone()),
        (command(BORIS, Command::Release), Snapshot::default()),
        (
            press(ANNA, Button::Release(CommId(3))),
            with(Status::Unassigned, None),
        ),
    ] {
        assert!(audits(&w.decide(&action, &snap)).is_empty(), "{action:?}");
    }
}

#[test]
fn a_close_records_one_entry_with_its_reason() {
    let w = World::new();
    let snap = with(Status::Assigned, Some(ANNA));
    for action in [
        command(ANNA, Command::Close),
        press(ANNA, Button::Close(CommId(3))),
        press(ANNA, Button::Menu(MenuItem::Close)),
    ] {
        let d = w.decide(&action, &snap);
        assert_eq!(
            audits(&d),
            [&entry(BY_ANNA, AuditAction::Close).detail("reason", "specialist")],
            "{action:?}"
        );
        // Written with the close itself.
        assert!(d.changes.iter().any(|c| matches!(c, Change::Close { .. })));
    }
    for (action, snap) in [
        (press(BORIS, Button::Close(CommId(3))), snap.clone()),
        (
            press(ANNA, Button::Close(CommId(3))),
            with(Status::Closed, Some(ANNA)),
        ),
        (command(ANNA, Command::Close), Snapshot::default()),
    ] {
        assert!(audits(&w.decide(&action, &snap)).is_empty(), "{action:?}");
    }
}

#[test]
fn a_timeout_close_is_recorded_once_by_the_system() {
    let w = World::new();
    let mut snap = with(Status::Assigned, Some(ANNA));
    if let Some(c) = snap.communication.as_mut() {
        c.idle_deadline = Some(NOW);
    }
    let event = Action::IdleTimeout {
        communication_id: CommId(3),
    };
    let d = w.decide(&event, &snap);
    assert_eq!(
        audits(&d),
        [&entry(Actor::System, AuditAction::TimeoutClose)
            .detail("reason", "timeout")
            .detail("specialist", ANNA)]
    );
    // Not yet due, or closed already (the timer fired again): nothing.
    assert!(audits(&w.decide_at(&event, &snap, NOW - 1)).is_empty());
    if let Some(c) = snap.communication.as_mut() {
        c.status = Status::Closed;
    }
    assert!(audits(&w.decide(&event, &snap)).is_empty());
}

#[test]
fn a_rating_is_recorded_by_the_customer_once_per_rating_given() {
    let w = World::new();
    let by_ann = Actor::Customer(CustomerId(CUSTOMER));
    let d = w.decide(
        &customer_press(CUSTOMER, rate(3, 5)),
        &survey_snapshot(survey()),
    );
    assert_eq!(
        audits(&d),
        [&entry(by_ann, AuditAction::Rating)
            .detail("rating", 5)
            .detail("comment", "no")]
    );
    // The same rating pressed again changes nothing: nothing recorded.
    let again = survey_snapshot(rated(5, NOW + 1_000));
    let d = w.decide(&customer_press(CUSTOMER, rate(3, 5)), &again);
    assert!(audits(&d).is_empty(), "{:?}", d.changes);
    // A change within the window is a rating of its own, naming the previous one
    // and whether a comment was given.
    let mut commented = rated(5, NOW + 1_000);
    commented.comment = Some("thanks".into());
    commented.awaiting_comment = false;
    let d = w.decide(
        &customer_press(CUSTOMER, rate(3, 2)),
        &survey_snapshot(commented),
    );
    assert_eq!(
        audits(&d),
        [&entry(by_ann, AuditAction::Rating)
            .detail("rating", 2)
            .detail("previous", 5)
            .detail("comment", "yes")]
    );
    // Refused: after the window, someone else's press, an old survey, Skip.
    let late = w.decide_at(&customer_press(CUSTOMER, rate(3, 2)), &again, NOW + 1_001);
    assert!(audits(&late).is_empty());
    for stranger in [77, ANNA] {
        let d = w.decide(
            &customer_press(stranger, rate(3, 1)),
            &survey_snapshot(survey()),
        );
        assert!(audits(&d).is_empty());
    }
    let old = w.decide_at(
        &customer_press(CUSTOMER, rate(3, 4)),
        &survey_snapshot(survey()),
        NOW + crate::domain::csat::SURVEY_MAX_AGE_MS,
    );
    assert!(audits(&old).is_empty());
    let skip = w.decide(
        &customer_press(CUSTOMER, Button::SkipComment(CommId(3))),
        &again,
    );
    assert!(
        skip.changes
            .contains(&Change::EndComment { comm: CommId(3) })
    );
    assert!(audits(&skip).is_empty());
}

#[test]
fn the_comment_on_a_rating_is_recorded_without_its_text() {
    let w = World::new();
    let snap = verified_with(Some(rated(4, NOW + 1_000)));
    let d = w.decide(&Action::Message(text(CUSTOMER, 20, "Quick & kind")), &snap);
    let recorded = audits(&d);
    assert_eq!(
        recorded,
        [
            &entry(Actor::Customer(CustomerId(CUSTOMER)), AuditAction::Rating)
                .detail("rating", 4)
                .detail("comment", "added")
        ]
    );
    assert!(!recorded[0].details.contains("Quick"));
    // After the window the text opens a request: no rating entry.
    let later = w.decide_at(
        &Action::Message(text(CUSTOMER, 21, "A new problem")),
        &snap,
        NOW + 1_001,
    );
    assert!(audits(&later).is_empty());
}

#[test]
fn what_is_not_an_audited_action_records_nothing() {
    let w = World::new();
    let assigned = with(Status::Assigned, Some(ANNA));
    for (action, snap) in [
        (
            Action::Message(text(CUSTOMER, 7, "hello")),
            assigned.clone(),
        ),
        (Action::Message(text(ANNA, 8, "hi")), assigned.clone()),
        (command(ANNA, Command::Current), assigned.clone()),
        (
            Action::Message(text(CUSTOMER, 9, "a new request")),
            Snapshot {
                customer: Some(customer(CustomerState::Verified)),
                next_communication_id: CommId(3),
                ..Snapshot::default()
            },
        ),
    ] {
        let d = w.decide(&action, &snap);
        assert!(!d.changes.is_empty() || !d.effects.is_empty(), "{action:?}");
        assert!(audits(&d).is_empty(), "{action:?}");
    }
}
