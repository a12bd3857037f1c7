//! Satisfaction surveys (SPEC §6.5), without I/O.

use super::*;

pub(super) const WINDOW_MS: i64 = 600_000;

fn closed_snapshot() -> Snapshot {
    with_comm(comm(Status::Assigned, Some(ANNA)))
}

pub(super) fn survey() -> Survey {
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

pub(super) fn rated(rating: u8, until: i64) -> Survey {
    Survey {
        rating: Some(rating),
        rated_at: Some(until - WINDOW_MS),
        comment_until: Some(until),
        awaiting_comment: true,
        ..survey()
    }
}

/// A press by `from`, named Ann, under a message in their own chat.
pub(super) fn customer_press(from: i64, button: Button) -> Action {
    press_by(
        user(from, "Ann"),
        Some(button),
        (ChatId(from), MessageId(78)),
    )
}

pub(super) fn rate(comm: i64, rating: u8) -> Button {
    Button::Rate {
        comm: CommId(comm),
        rating,
    }
}

pub(super) fn survey_snapshot(s: Survey) -> Snapshot {
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
    assert!(!any_change(&d, |c| matches!(c, Change::NewSurvey { .. })));
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
        vec![
            Change::Rate {
                comm: CommId(3),
                rating: 5,
                comment_until: Some(NOW + WINDOW_MS)
            },
            Change::Audit(
                AuditEntry::new(
                    Actor::Customer(CustomerId(CUSTOMER)),
                    AuditAction::Rating,
                    Some(CommId(3))
                )
                .detail("rating", 5)
                .detail("comment", "no")
            ),
        ]
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
        vec![
            Change::Rate {
                comm: CommId(3),
                rating: 3,
                comment_until: None
            },
            Change::Audit(
                AuditEntry::new(
                    Actor::Customer(CustomerId(CUSTOMER)),
                    AuditAction::Rating,
                    Some(CommId(3))
                )
                .detail("rating", 3)
                .detail("previous", 5)
                .detail("comment", "no")
            ),
        ]
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
        NOW - 60_000 + crate::domain::csat::SURVEY_MAX_AGE_MS + 1,
    );
    assert!(old.changes.is_empty());
    assert!(answer(&old).contains("older than 7 days"));
    let none = w.decide(&customer_press(CUSTOMER, rate(4, 4)), &snap);
    assert!(none.changes.is_empty());
    assert!(answer(&none).contains("no survey on request #4"));
}

pub(super) fn verified_with(s: Option<Survey>) -> Snapshot {
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
    let d = w.decide(&says(CUSTOMER, 20, "Quick & kind"), &snap);
    assert!(d.changes.contains(&Change::Comment {
        comm: CommId(3),
        text: "Quick & kind".into()
    }));
    assert!(!any_change(&d, |c| matches!(c, Change::Open { .. })));
    assert!(texts_to(&d, CUSTOMER)[0].contains("Thank you for your feedback"));
    for staff in [ANNA, -100] {
        let seen = texts_to(&d, staff);
        assert!(seen[0].contains("request #3 (4/5) from Ann"), "{}", seen[0]);
        assert!(seen[0].contains("Quick &amp; kind"));
    }
    // After the window the same text opens a request.
    let later = w.decide_at(&says(CUSTOMER, 21, "A new problem"), &snap, NOW + 1_001);
    assert!(any_change(&later, |c| matches!(c, Change::Open { .. })));
    assert!(!any_change(&later, |c| matches!(c, Change::Comment { .. })));
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
    assert!(any_change(&d, |c| matches!(c, Change::Open { .. })));
}
