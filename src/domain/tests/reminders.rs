//! Reminders, escalation and the close warning (SPEC §6.3), without I/O.

use super::*;

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

fn reminder_sent(kind: DeadlineKind, step: u32, escalated: bool) -> Change {
    Change::ReminderSent {
        comm: CommId(3),
        kind,
        step,
        escalated,
    }
}

fn unassigned_with(d: Deadline) -> Snapshot {
    Snapshot {
        deadlines: vec![d],
        ..with_comm(comm(Status::Unassigned, None))
    }
}

#[test]
fn opening_starts_the_unassigned_steps_counted_time() {
    let w = with_reminders();
    let snap = new_request();
    let d = w.decide(&says(CUSTOMER, 7, "help"), &snap);
    assert!(d.changes.contains(&schedule(
        DeadlineKind::Unassigned,
        0,
        NOW,
        Some(NOW + 15 * MIN)
    )));
    assert!(d.touches_timers());
    // No steps configured: nothing is scheduled.
    let d = World::new().decide(&says(CUSTOMER, 7, "help"), &snap);
    assert!(!any_change(&d, |c| matches!(c, Change::Schedule { .. })));
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
    assert!(
        d.changes
            .contains(&reminder_sent(DeadlineKind::Unassigned, 0, false))
    );
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
    assert!(
        d.changes
            .contains(&reminder_sent(DeadlineKind::Unassigned, 2, true))
    );
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
    assert_eq!(sent, [&reminder_sent(DeadlineKind::Unassigned, 1, false)]);
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
    let snap = with_comm(comm(Status::Assigned, Some(ANNA)));
    let d = w.decide(&due(DeadlineKind::Unanswered), &snap);
    assert!(d.effects.is_empty() && d.changes.is_empty());
}

#[test]
fn take_ends_the_unassigned_steps_and_starts_the_unanswered_ones() {
    let w = with_reminders();
    let snap = Snapshot {
        log: vec![customer_entry(7)],
        deadlines: vec![deadline(DeadlineKind::Unassigned, 1, NOW - MIN, NOW + MIN)],
        ..with_comm(comm(Status::Unassigned, None))
    };
    let d = w.decide(&press(ANNA, Button::Take(CommId(3))), &snap);
    // The store drops every deadline with the assignment; the customer wrote before
    // the Take, so the unanswered steps count from it.
    let assign = change_index(&d, |c| matches!(c, Change::Assign { .. }));
    let unanswered = change_index(&d, |c| {
        *c == schedule(DeadlineKind::Unanswered, 0, NOW, Some(NOW + 15 * MIN))
    });
    assert!(assign.is_some() && unanswered > assign, "{:?}", d.changes);
    assert!(!any_change(&d, |c| matches!(
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
    let snap = with_comm(comm(Status::Assigned, Some(ANNA)));
    let d = w.decide(&press(ANNA, Button::Release(CommId(3))), &snap);
    let release = change_index(&d, |c| matches!(c, Change::Release { .. }));
    let steps = change_index(&d, |c| {
        *c == schedule(DeadlineKind::Unassigned, 0, NOW, Some(NOW + 15 * MIN))
    });
    assert!(release.is_some() && steps > release, "{:?}", d.changes);
}

#[test]
fn unanswered_counts_from_the_first_unanswered_message_and_ends_with_an_answer() {
    let w = with_reminders();
    let assigned = with_comm(comm(Status::Assigned, Some(ANNA)));
    let d = w.decide(&says(CUSTOMER, 21, "hello?"), &assigned);
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
    let d = w.decide(&says(CUSTOMER, 22, "anyone?"), &waiting);
    assert!(!any_change(&d, |c| matches!(c, Change::Schedule { .. })));
    // The specialist answers: the steps end, the close warning is set before the close.
    let d = w.decide(&says(ANNA, 23, "here"), &waiting);
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
        deadlines: vec![deadline(DeadlineKind::Unanswered, 0, start, NOW)],
        ..with_comm(comm(Status::Assigned, Some(ANNA)))
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
    assert!(
        d.changes
            .contains(&reminder_sent(DeadlineKind::Unanswered, 2, true))
    );
}

#[test]
fn the_close_warning_goes_to_the_customer_before_the_close_and_an_answer_cancels() {
    let w = with_reminders();
    let mut c = comm(Status::Assigned, Some(ANNA));
    c.idle_deadline = Some(NOW + 10 * MIN);
    let snap = Snapshot {
        deadlines: vec![deadline(DeadlineKind::CloseWarning, 0, NOW - 50 * MIN, NOW)],
        ..with_comm(c)
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
    assert!(!any_change(&d, |c| matches!(c, Change::Close { .. })));

    // The customer answers: no close, no warning.
    let d = w.decide(&says(CUSTOMER, 30, "still here"), &snap);
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
    assert_eq!(crate::domain::reminders::span_text(0), "0s");
    assert_eq!(crate::domain::reminders::span_text(3_000), "3s");
    assert_eq!(crate::domain::reminders::span_text(15 * MIN), "15m");
    assert_eq!(
        crate::domain::reminders::span_text(90 * MIN + 20_000),
        "1h 30m"
    );
    assert_eq!(crate::domain::reminders::span_text(61_000), "1m 1s");
}
