//! Telegram in the wild (SPEC §10): moves, membership, unreachable people, kinds
//! that cannot be copied.

use super::*;

fn moved(from: i64, to: i64) -> Action {
    Action::GroupMoved {
        from: ChatId(from),
        to: ChatId(to),
    }
}

#[test]
fn a_service_group_that_moved_is_kept_and_the_controllers_told_the_key() {
    let mut w = World::new();
    w.policy.group_keys = vec![(ChatId(-100), "service_groups[0].chat_id".into())];
    let d = w.decide(&moved(-100, -1_000_100), &Snapshot::default());
    assert!(d.changes.contains(&Change::GroupMoved {
        from: ChatId(-100),
        to: ChatId(-1_000_100)
    }));
    let told = texts_to(&d, 9);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains("service_groups[0].chat_id"), "{}", told[0]);
    // A chat that is no service group (or one that moved already) changes nothing.
    assert_eq!(
        w.decide(&moved(-7, -1_000_007), &Snapshot::default()),
        Decision::default()
    );
}

#[test]
fn the_policy_with_moves_names_the_groups_by_their_new_ids() {
    let mut p = policy();
    p.group_keys = vec![(ChatId(-100), "service_groups[0].chat_id".into())];
    p.departments = vec![Department {
        key: "b".into(),
        name: "B".into(),
        service_groups: vec![ChatId(-100)],
        specialists: vec![StaffId(ANNA)],
    }];
    // Moved twice: the latest id.
    let m = p.with_moves(&[
        (ChatId(-100), ChatId(-1_000_100)),
        (ChatId(-1_000_100), ChatId(-2_000_100)),
    ]);
    assert_eq!(m.service_groups, vec![ChatId(-2_000_100), ChatId(-200)]);
    assert_eq!(m.departments[0].service_groups, vec![ChatId(-2_000_100)]);
    assert!(m.is_service_group(ChatId(-2_000_100)) && !m.is_service_group(ChatId(-100)));
    assert_eq!(
        m.group_keys_of(ChatId(-2_000_100)),
        vec!["service_groups[0].chat_id"]
    );
}

fn membership(chat: i64, private: bool, was_in: bool, is_in: bool) -> Action {
    Action::Membership {
        chat: ChatId(chat),
        private,
        was_in,
        is_in,
    }
}

#[test]
fn the_bot_removed_from_a_service_group_is_news_for_the_controllers_only() {
    let w = World::new();
    let removed = w.decide(&membership(-100, false, true, false), &Snapshot::default());
    assert!(texts_to(&removed, 9)[0].contains("removed"));
    let back = w.decide(&membership(-100, false, false, true), &Snapshot::default());
    assert!(texts_to(&back, 9)[0].contains("back"));
    for nothing in [
        membership(-100, false, true, true),
        membership(-555, false, true, false),
        membership(ANNA, true, true, false),
    ] {
        assert!(w.decide(&nothing, &Snapshot::default()).effects.is_empty());
    }
}

#[test]
fn a_customer_who_blocks_the_bot_is_marked_once_and_gets_nothing_more() {
    let w = World::new();
    let snap = with_comm(comm(Status::Assigned, Some(ANNA)));
    let d = w.decide(&membership(CUSTOMER, true, true, false), &snap);
    assert!(d.changes.contains(&Change::MarkBlocked {
        customer: CustomerId(CUSTOMER)
    }));
    assert!(texts_to(&d, ANNA)[0].contains("blocked the bot"));

    let mut blocked = snap.clone();
    if let Some(c) = blocked.customer.as_mut() {
        c.blocked = true;
    }
    // Told once: a later refusal changes nothing.
    let again = w.decide(&membership(CUSTOMER, true, true, false), &blocked);
    assert!(again.changes.is_empty() && again.effects.is_empty());
    // The specialist's message is not sent to them.
    let relay = w.decide(&says(ANNA, 30, "Are you there?"), &blocked);
    assert!(copies(&relay).is_empty(), "{relay:?}");
    // Unblocked: cleared, the specialist told.
    let back = w.decide(&membership(CUSTOMER, true, false, true), &blocked);
    assert!(back.changes.contains(&Change::MarkReachable {
        customer: CustomerId(CUSTOMER)
    }));
    assert!(texts_to(&back, ANNA)[0].contains("unblocked"));
}

#[test]
fn a_take_whose_card_is_refused_is_undone_and_explained() {
    let w = World::new();
    let snap = with_comm(comm(Status::Assigned, Some(BORIS)));
    let refused = |specialist| Action::DeliveryFailed {
        purpose: Purpose::HandOver {
            comm: CommId(3),
            specialist: StaffId(specialist),
        },
        code: 403,
        description: "Forbidden: bot can't initiate conversation with a user".into(),
    };
    let d = w.decide(&refused(BORIS), &snap);
    assert!(d.changes.contains(&Change::Release { comm: CommId(3) }));
    assert!(d.changes.iter().any(|c| matches!(c,
        Change::Audit(e) if e.action == crate::domain::audit::AuditAction::Release
            && e.details.contains("reason=unreachable"))));
    for chat in [-100, -200, 9] {
        assert!(
            texts_to(&d, chat).iter().any(|t| t.contains("/start")),
            "{chat}: {:?}",
            texts_to(&d, chat)
        );
    }
    // Someone else holds it by now: nothing to undo.
    let other = w.decide(&refused(ANNA), &snap);
    assert!(other.changes.is_empty() && other.effects.is_empty());
}

#[test]
fn a_kind_that_cannot_be_copied_becomes_a_notice_for_the_other_side() {
    let w = World::new();
    let snap = with_comm(comm(Status::Assigned, Some(ANNA)));
    let mut paid = text(CUSTOMER, 11, "");
    paid.kind = Some(Kind::PaidMedia);
    paid.text = None;
    let d = w.decide(&Action::Message(paid), &snap);
    assert!(copies(&d).is_empty());
    assert!(texts_to(&d, ANNA)[0].contains("paid media"));
}
