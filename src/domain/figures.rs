//! The figures kept per communication (SPEC §6.1), recorded as events happen: the
//! changes of a decision are read in order and the communication's figures move on
//! with them, in wall-clock seconds and in counted (working-hours) seconds.

use super::{Change, CommId, Kind, Policy, Role, StaffId};

/// A length of time in whole seconds: on the wall clock, and the part that counts
/// (inside working hours; all of it without them). The counted part is unknown
/// (`None`) for figures derived from before they were recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub wall_s: i64,
    pub counted_s: Option<i64>,
}

impl Default for Span {
    fn default() -> Span {
        Span {
            wall_s: 0,
            counted_s: Some(0),
        }
    }
}

impl Span {
    pub fn between(from: i64, to: i64, policy: &Policy) -> Span {
        Span {
            wall_s: (to - from).max(0) / 1000,
            counted_s: Some(policy.counted_ms(from, to) / 1000),
        }
    }

    fn add(self, other: Span) -> Span {
        Span {
            wall_s: self.wall_s + other.wall_s,
            counted_s: self.counted_s.zip(other.counted_s).map(|(a, b)| a + b),
        }
    }

    fn max(self, other: Span) -> Span {
        Span {
            wall_s: self.wall_s.max(other.wall_s),
            counted_s: self.counted_s.zip(other.counted_s).map(|(a, b)| a.max(b)),
        }
    }
}

/// The figures of one communication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// When it was opened (unix ms).
    pub opened_at: i64,
    /// The first Take.
    pub taken_at: Option<i64>,
    pub time_to_take: Option<Span>,
    /// The first specialist message relayed to the customer, and who sent it.
    pub first_response_at: Option<i64>,
    pub first_response_by: Option<StaffId>,
    pub first_response: Option<Span>,
    /// Since when a customer message waits for the next specialist message.
    pub waiting_since: Option<i64>,
    /// The waits that ended (a specialist answered): how many, their sum, the longest.
    pub waits: i64,
    pub wait_sum: Span,
    pub wait_max: Span,
    /// The specialist's last message (a timeout close ends the resolution there).
    pub last_specialist_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub resolution: Option<Span>,
    pub customer_messages: i64,
    pub specialist_messages: i64,
    pub releases: i64,
    pub transfers: i64,
    pub reminders: i64,
}

impl Figures {
    pub fn opened(at: i64) -> Figures {
        Figures {
            opened_at: at,
            ..Figures::default()
        }
    }

    /// The average wait, if there was one.
    pub fn wait_average(&self) -> Option<Span> {
        (self.waits > 0).then(|| Span {
            wall_s: self.wait_sum.wall_s / self.waits,
            counted_s: self.wait_sum.counted_s.map(|c| c / self.waits),
        })
    }

    fn customer_message(&mut self, at: i64) {
        self.customer_messages += 1;
        if self.waiting_since.is_none() {
            self.waiting_since = Some(at);
        }
    }

    fn specialist_message(&mut self, at: i64, by: StaffId, policy: &Policy) {
        self.specialist_messages += 1;
        self.last_specialist_at = Some(at);
        if self.first_response_at.is_none() {
            self.first_response_at = Some(at);
            self.first_response_by = Some(by);
            self.first_response = Some(Span::between(self.opened_at, at, policy));
        }
        if let Some(since) = self.waiting_since.take() {
            let wait = Span::between(since, at, policy);
            self.waits += 1;
            self.wait_sum = self.wait_sum.add(wait);
            self.wait_max = self.wait_max.max(wait);
        }
    }

    fn taken(&mut self, at: i64, policy: &Policy) {
        if self.taken_at.is_none() {
            self.taken_at = Some(at);
            self.time_to_take = Some(Span::between(self.opened_at, at, policy));
        }
    }

    fn closed(&mut self, at: i64, timeout: bool, policy: &Policy) {
        // A timeout close ends at the specialist's last message: the idle hour is
        // not work.
        let end = match (timeout, self.last_specialist_at) {
            (true, Some(last)) => last,
            _ => at,
        };
        self.closed_at = Some(at);
        self.resolution = Some(Span::between(self.opened_at, end, policy));
        self.waiting_since = None;
    }
}

/// The close reason of a timeout close.
pub const TIMEOUT_REASON: &str = "timeout";

/// The figures after `changes`, made at `now`: `current` are those of the
/// communication the decision concerns, if it has one. Returns the figures that
/// changed, to be stored, in the order first touched.
pub fn after(
    current: Option<(CommId, &Figures)>,
    changes: &[Change],
    now: i64,
    policy: &Policy,
) -> Vec<(CommId, Figures)> {
    let mut touched: Vec<(CommId, Figures)> = Vec::new();
    let entry = |comm: CommId, touched: &mut Vec<(CommId, Figures)>| -> usize {
        if let Some(i) = touched.iter().position(|(c, _)| *c == comm) {
            return i;
        }
        let start = match current {
            Some((c, f)) if c == comm => f.clone(),
            // A communication the snapshot does not hold: opened now.
            _ => Figures::opened(now),
        };
        touched.push((comm, start));
        touched.len() - 1
    };
    for change in changes {
        match change {
            Change::Open { id, .. } => {
                let i = entry(*id, &mut touched);
                touched[i].1 = Figures::opened(now);
            }
            Change::Log {
                comm,
                role,
                message,
            } if message.kind() != Kind::Edit => {
                let i = entry(*comm, &mut touched);
                let f = &mut touched[i].1;
                match role {
                    Role::Customer => f.customer_message(now),
                    Role::Specialist => f.specialist_message(now, StaffId(message.from.id), policy),
                }
            }
            Change::Assign { comm, .. } => {
                let i = entry(*comm, &mut touched);
                touched[i].1.taken(now, policy);
            }
            Change::Release { comm } => {
                let i = entry(*comm, &mut touched);
                touched[i].1.releases += 1;
            }
            Change::Transfer { comm, .. } => {
                let i = entry(*comm, &mut touched);
                touched[i].1.transfers += 1;
            }
            Change::ReminderSent { comm, .. } => {
                let i = entry(*comm, &mut touched);
                touched[i].1.reminders += 1;
            }
            Change::Close { comm, reason } => {
                let i = entry(*comm, &mut touched);
                touched[i].1.closed(now, reason == TIMEOUT_REASON, policy);
            }
            _ => {}
        }
    }
    touched
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ChatId, CustomerId, Incoming, MessageId, User};

    const ANNA: StaffId = StaffId(5);
    const BORIS: StaffId = StaffId(6);
    const COMM: CommId = CommId(3);
    const T0: i64 = 1_700_000_000_000;

    fn msg(from: i64) -> Incoming {
        Incoming {
            chat_id: ChatId(from),
            message_id: MessageId(1),
            from: User {
                id: from,
                first_name: "X".into(),
                ..User::default()
            },
            kind: Some(Kind::Text),
            text: Some("hi".into()),
            ..Incoming::default()
        }
    }

    fn customer_says() -> Change {
        Change::Log {
            comm: COMM,
            role: Role::Customer,
            message: msg(42),
        }
    }

    fn specialist_says(who: StaffId) -> Change {
        Change::Log {
            comm: COMM,
            role: Role::Specialist,
            message: msg(who.0),
        }
    }

    /// Play `(seconds after opening, changes)` and return the figures.
    fn play(script: &[(i64, Vec<Change>)]) -> Figures {
        let policy = Policy::default();
        let mut figures: Option<Figures> = None;
        for (at_s, changes) in script {
            let now = T0 + at_s * 1000;
            let current = figures.as_ref().map(|f| (COMM, f));
            let out = after(current, changes, now, &policy);
            if let Some((_, f)) = out.into_iter().find(|(c, _)| *c == COMM) {
                figures = Some(f);
            }
        }
        figures.expect("figures recorded")
    }

    fn open() -> Vec<Change> {
        vec![
            Change::Open {
                id: COMM,
                customer: CustomerId(42),
            },
            customer_says(),
        ]
    }

    fn take(who: StaffId) -> Change {
        Change::Assign {
            comm: COMM,
            specialist: who,
        }
    }

    fn close(reason: &str) -> Change {
        Change::Close {
            comm: COMM,
            reason: reason.into(),
        }
    }

    #[test]
    fn messages_while_unassigned_wait_until_the_first_answer() {
        let f = play(&[
            (0, open()),
            (30, vec![customer_says()]),
            (60, vec![take(ANNA)]),
            (100, vec![specialist_says(ANNA)]),
            (160, vec![close("closed by the specialist")]),
        ]);
        assert_eq!(f.time_to_take.map(|s| s.wall_s), Some(60));
        assert_eq!(f.first_response.map(|s| s.wall_s), Some(100));
        assert_eq!(f.first_response_by, Some(ANNA));
        // One wait, from the opening message (the second did not restart it).
        assert_eq!(f.waits, 1);
        assert_eq!(f.wait_max.wall_s, 100);
        assert_eq!(f.resolution.map(|s| s.wall_s), Some(160));
        assert_eq!((f.customer_messages, f.specialist_messages), (2, 1));
    }

    #[test]
    fn a_transferred_first_response_is_credited_to_its_sender_and_a_release_and_retake_count_once()
    {
        let f = play(&[
            (0, open()),
            (10, vec![take(ANNA)]),
            (20, vec![Change::Release { comm: COMM }]),
            (50, vec![take(BORIS)]),
            (70, vec![specialist_says(BORIS)]),
            (80, vec![customer_says()]),
            (95, vec![specialist_says(ANNA)]),
        ]);
        // The first Take counts, not the retake.
        assert_eq!(f.time_to_take.map(|s| s.wall_s), Some(10));
        assert_eq!(f.releases, 1);
        assert_eq!(f.first_response_by, Some(BORIS));
        assert_eq!(f.first_response.map(|s| s.wall_s), Some(70));
        // Two waits: 70 s and 15 s.
        assert_eq!(f.waits, 2);
        assert_eq!(f.wait_sum.wall_s, 85);
        assert_eq!(f.wait_max.wall_s, 70);
        assert_eq!(f.wait_average().map(|s| s.wall_s), Some(42));
    }

    #[test]
    fn a_timeout_close_ends_the_resolution_at_the_specialists_last_message() {
        let f = play(&[
            (0, open()),
            (5, vec![take(ANNA)]),
            (40, vec![specialist_says(ANNA)]),
            (40 + 3600, vec![close(TIMEOUT_REASON)]),
        ]);
        assert_eq!(f.resolution.map(|s| s.wall_s), Some(40));
        assert_eq!(f.closed_at, Some(T0 + 3640 * 1000));
    }

    #[test]
    fn edits_are_not_messages() {
        let mut edit = msg(42);
        edit.kind = Some(Kind::Edit);
        let f = play(&[
            (0, open()),
            (
                5,
                vec![Change::Log {
                    comm: COMM,
                    role: Role::Customer,
                    message: edit,
                }],
            ),
        ]);
        assert_eq!(f.customer_messages, 1);
    }

    #[test]
    fn reminders_sent_are_counted() {
        let reminder = |step| Change::ReminderSent {
            comm: COMM,
            kind: crate::domain::DeadlineKind::Unassigned,
            step,
            escalated: false,
        };
        let f = play(&[
            (0, open()),
            (900, vec![reminder(0)]),
            (1800, vec![reminder(1)]),
        ]);
        assert_eq!(f.reminders, 2);
    }
}
