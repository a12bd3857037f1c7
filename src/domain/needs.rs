//! What an action needs to know from the database, said by the core: the store
//! loads exactly that into a [`Snapshot`](super::Snapshot), with no second reading
//! of the action.

use super::action::{Action, Button, Command, MenuItem, Target};
use super::ids::{ChatId, CommId, CustomerId, MessageId, StaffId};
use super::policy::Policy;
use super::stats::StatsQuery;
use super::{HISTORY_PAGE, MailPurpose, Purpose, USERS_PAGE};

/// Which communication an action concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Find {
    Id(CommId),
    /// The customer's open one.
    OpenOf(CustomerId),
    /// The specialist's active (assigned) one.
    ActiveOf(StaffId),
    /// The customer's most recently closed one.
    LastClosedOf(CustomerId),
}

/// How much of the communication's log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogNeed {
    /// All of it.
    #[default]
    All,
    /// Only while it is unassigned (its announcement shows the log); relaying in an
    /// assigned communication needs no history, and a long one would cost every
    /// message a full read.
    IfUnassigned,
}

/// A list to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListingQuery {
    /// The oldest unassigned communications: of these departments (`None`: all).
    Unassigned { departments: Option<Vec<String>> },
    /// A page of customers by id: after `after`, or before `before`.
    Customers {
        after: Option<CustomerId>,
        before: Option<CustomerId>,
        size: usize,
    },
    /// A page of a customer's closed communications older than `before` (0: newest).
    Archived {
        customer: CustomerId,
        before: CommId,
    },
}

/// The copy, in the other party's chat, of message `message` of `chat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counterpart {
    pub chat: ChatId,
    pub message: MessageId,
    /// Whose chat the copy is in: the customer's (the actor is the specialist) or
    /// the assigned specialist's.
    pub in_customer_chat: bool,
}

/// Which satisfaction survey an action concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurveyFind {
    /// The survey of this communication.
    Of(CommId),
    /// The customer's survey still awaiting a comment, if any.
    AwaitingCommentOf(CustomerId),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Needs {
    /// The communication concerned, with its customer and announcements.
    pub communication: Option<Find>,
    pub log: LogNeed,
    /// Who held the communication when (transcripts).
    pub assignments: bool,
    /// The customer concerned, when no communication names one.
    pub customer: Option<CustomerId>,
    /// The onboarding codes of this customer.
    pub codes: Option<CustomerId>,
    /// The active communication of this specialist (Take refuses a busy one).
    pub actor_active: Option<StaffId>,
    pub reply_copy: Option<Counterpart>,
    pub edit_copy: Option<Counterpart>,
    /// The parts of this album (chat, media group).
    pub album: Option<(ChatId, String)>,
    /// How many closed communications this customer has.
    pub archived_count: Option<CustomerId>,
    pub listing: Option<ListingQuery>,
    /// The id a new communication would get.
    pub next_id: bool,
    /// The figures `/stats` shows.
    pub stats: Option<StatsQuery>,
    pub survey: Option<SurveyFind>,
    /// Which specialists have an active communication (transfers).
    pub busy: bool,
    /// The canned answers kept in the database.
    pub canned: bool,
}

impl Needs {
    fn of(find: Find) -> Needs {
        Needs {
            communication: Some(find),
            ..Needs::default()
        }
    }
}

/// `/stats` of `who` (staff): the team's for a controller, their own (and their
/// current communication) for a specialist.
fn stats_needs(who: StaffId, days: u16, policy: &Policy, now: i64) -> Needs {
    let day_start = policy.day_start(now);
    if policy.is_controller(who) {
        let team = policy.specialists.iter().map(|s| s.chat_id).collect();
        Needs {
            stats: Some(
                StatsQuery::new(team, true, days, now, day_start)
                    .with_departments(policy.has_departments()),
            ),
            ..Needs::default()
        }
    } else {
        Needs {
            stats: Some(StatsQuery::new(vec![who], false, days, now, day_start)),
            ..Needs::of(Find::ActiveOf(who))
        }
    }
}

/// The queue a specialist sees: their departments' (all, without departments).
fn queue_of(who: StaffId, policy: &Policy) -> ListingQuery {
    ListingQuery::Unassigned {
        departments: policy.departments_of(who),
    }
}

/// What `action` needs to be decided.
pub fn needs(action: &Action, policy: &Policy, now: i64) -> Needs {
    match action {
        Action::Command {
            from,
            command: Command::Stats,
            ..
        } if policy.is_staff(from.as_staff()) => stats_needs(from.as_staff(), 7, policy, now),
        Action::Press {
            from,
            button: Some(Button::Stats { days }),
            ..
        } if policy.is_staff(from.as_staff()) => stats_needs(from.as_staff(), *days, policy, now),
        Action::Message(m) | Action::Edited(m) => {
            let specialist = policy.is_specialist(m.from.as_staff());
            let mut n = if specialist {
                Needs::of(Find::ActiveOf(m.from.as_staff()))
            } else {
                let actor = m.from.as_customer();
                Needs {
                    customer: Some(actor),
                    codes: Some(actor),
                    next_id: true,
                    // A text may be the comment on a rating just given.
                    survey: matches!(action, Action::Message(_))
                        .then_some(SurveyFind::AwaitingCommentOf(actor)),
                    ..Needs::of(Find::OpenOf(actor))
                }
            };
            n.log = LogNeed::IfUnassigned;
            let counterpart = |message| Counterpart {
                chat: m.chat_id,
                message,
                in_customer_chat: specialist,
            };
            n.reply_copy = m.reply_to.map(counterpart);
            if matches!(action, Action::Edited(_)) {
                n.edit_copy = Some(counterpart(m.message_id));
            }
            n
        }
        Action::Command {
            from,
            command: Command::Block(Target::Id(id)) | Command::Unblock(Target::Id(id)),
            ..
        } if policy.is_controller(from.as_staff()) => Needs {
            customer: Some(*id),
            ..Needs::of(Find::OpenOf(*id))
        },
        Action::Command { from, command, .. } => {
            if !policy.is_specialist(from.as_staff()) {
                return Needs {
                    customer: Some(from.as_customer()),
                    ..Needs::default()
                };
            }
            let page = |size| ListingQuery::Customers {
                after: None,
                before: None,
                size,
            };
            Needs {
                listing: match command {
                    Command::Unassigned => Some(queue_of(from.as_staff(), policy)),
                    Command::Users => Some(page(USERS_PAGE)),
                    Command::History => Some(page(HISTORY_PAGE)),
                    _ => None,
                },
                busy: *command == Command::Transfer,
                canned: matches!(command, Command::Canned(_)),
                ..Needs::of(Find::ActiveOf(from.as_staff()))
            }
        }
        Action::Press { from, button, .. } => {
            let Some(button) = button else {
                return Needs::default();
            };
            let page = |after, before, size| Needs {
                listing: Some(ListingQuery::Customers {
                    after,
                    before,
                    size,
                }),
                ..Needs::default()
            };
            let transcript = |find| Needs {
                assignments: true,
                ..Needs::of(find)
            };
            match *button {
                Button::Take(n) | Button::Release(n) | Button::Close(n) => Needs {
                    actor_active: Some(from.as_staff()),
                    ..Needs::of(Find::Id(n))
                },
                Button::Menu(item) => Needs {
                    listing: (item == MenuItem::Unassigned)
                        .then(|| queue_of(from.as_staff(), policy)),
                    busy: item == MenuItem::Transfer,
                    canned: item == MenuItem::Canned,
                    ..Needs::of(Find::ActiveOf(from.as_staff()))
                },
                Button::Transfer(_) => Needs {
                    busy: true,
                    ..Needs::of(Find::ActiveOf(from.as_staff()))
                },
                Button::TransferTo { comm, .. } => Needs {
                    busy: true,
                    ..Needs::of(Find::Id(comm))
                },
                Button::TransferQueue { comm, .. } | Button::Department { comm, .. } => {
                    Needs::of(Find::Id(comm))
                }
                Button::Canned(_) => Needs {
                    canned: true,
                    ..Needs::of(Find::ActiveOf(from.as_staff()))
                },
                Button::Users { after } => page(Some(after), None, USERS_PAGE),
                Button::UsersBack { before } => page(None, Some(before), USERS_PAGE),
                Button::History { after } => page(Some(after), None, HISTORY_PAGE),
                Button::HistoryBack { before } => page(None, Some(before), HISTORY_PAGE),
                Button::HistoryOf(id) => Needs {
                    customer: Some(id),
                    archived_count: Some(id),
                    ..transcript(Find::OpenOf(id))
                },
                Button::ArchiveLast(id) => transcript(Find::LastClosedOf(id)),
                Button::ArchiveShow(n) | Button::ArchiveZip(n) => transcript(Find::Id(n)),
                Button::ArchiveList { customer, before } => Needs {
                    listing: Some(ListingQuery::Archived { customer, before }),
                    ..Needs::default()
                },
                // Matched first, above.
                Button::Stats { .. } | Button::Noop => Needs::default(),
                Button::Rate { comm, .. } | Button::SkipComment(comm) => Needs {
                    survey: Some(SurveyFind::Of(comm)),
                    ..Needs::default()
                },
                Button::ChangeEmail | Button::ResendCode => Needs {
                    customer: Some(from.as_customer()),
                    codes: Some(from.as_customer()),
                    ..Needs::default()
                },
            }
        }
        Action::OnboardingReminder { customer } => Needs {
            customer: Some(*customer),
            ..Needs::default()
        },
        Action::DailyReport { day_start } => Needs {
            stats: Some(
                StatsQuery::new(
                    policy.specialists.iter().map(|s| s.chat_id).collect(),
                    true,
                    1,
                    now,
                    *day_start,
                )
                .with_departments(policy.has_departments()),
            ),
            ..Needs::default()
        },
        Action::IdleTimeout { communication_id }
        | Action::Reminder {
            communication_id, ..
        } => Needs::of(Find::Id(*communication_id)),
        Action::AlbumDue {
            chat_id,
            media_group_id,
        } => Needs {
            album: Some((*chat_id, media_group_id.clone())),
            ..Needs::default()
        },
        Action::Delivered { purpose, .. } => match purpose {
            Purpose::Announcement { comm, .. } => Needs::of(Find::Id(*comm)),
            Purpose::Relay { .. }
            | Purpose::Notice { .. }
            | Purpose::Survey { .. }
            | Purpose::HandOver { .. } => Needs::default(),
        },
        // A refusal is rare: the communication with its log (the kinds of the
        // messages not copied, the announcement of a Take undone) and its customer
        // (whether they are known to have blocked the bot).
        Action::DeliveryFailed { purpose, .. } => match purpose {
            Purpose::Announcement { comm, .. }
            | Purpose::Relay { comm, .. }
            | Purpose::HandOver { comm, .. } => Needs::of(Find::Id(*comm)),
            Purpose::Notice { customer } | Purpose::Survey { customer, .. } => Needs {
                customer: Some(*customer),
                ..Needs::of(Find::OpenOf(*customer))
            },
        },
        Action::GroupMoved { .. } => Needs::default(),
        Action::Membership { chat, private, .. } => {
            if *private && !policy.is_staff(StaffId(chat.0)) {
                let customer = CustomerId(chat.0);
                Needs {
                    customer: Some(customer),
                    ..Needs::of(Find::OpenOf(customer))
                }
            } else {
                Needs::default()
            }
        }
        Action::MailFailed { purpose, .. } => match purpose {
            MailPurpose::Code { customer } => Needs {
                customer: Some(*customer),
                ..Needs::default()
            },
            MailPurpose::Alert => Needs::default(),
        },
        Action::ConsoleCode { .. } => Needs::default(),
        Action::ConsoleReply { from, .. } => Needs::of(Find::ActiveOf(from.as_staff())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Incoming, Press, User};

    fn policy() -> Policy {
        crate::domain::testing::anna_desk()
    }

    fn user(id: i64) -> User {
        User {
            id,
            first_name: "X".into(),
            ..User::default()
        }
    }

    #[test]
    fn a_customer_message_needs_their_open_communication_codes_and_the_next_id() {
        let m = Incoming {
            chat_id: ChatId(42),
            message_id: MessageId(7),
            from: user(42),
            reply_to: Some(MessageId(3)),
            ..Incoming::default()
        };
        let n = needs(&Action::Message(m.clone()), &policy(), 0);
        assert_eq!(n.communication, Some(Find::OpenOf(CustomerId(42))));
        assert_eq!(
            (n.customer, n.codes, n.next_id),
            (Some(CustomerId(42)), Some(CustomerId(42)), true)
        );
        assert_eq!(n.log, LogNeed::IfUnassigned);
        assert_eq!(
            n.reply_copy,
            Some(Counterpart {
                chat: ChatId(42),
                message: MessageId(3),
                in_customer_chat: false
            })
        );
        assert_eq!(n.edit_copy, None);
        assert_eq!(
            n.survey,
            Some(SurveyFind::AwaitingCommentOf(CustomerId(42)))
        );
        let e = needs(&Action::Edited(m), &policy(), 0);
        assert_eq!(e.edit_copy.map(|c| c.message), Some(MessageId(7)));
        assert_eq!(e.survey, None);
    }

    #[test]
    fn a_specialist_message_needs_only_their_active_communication() {
        let m = Incoming {
            chat_id: ChatId(5),
            message_id: MessageId(7),
            from: user(5),
            ..Incoming::default()
        };
        let n = needs(&Action::Message(m), &policy(), 0);
        assert_eq!(n.communication, Some(Find::ActiveOf(StaffId(5))));
        assert_eq!((n.customer, n.codes, n.next_id), (None, None, false));
    }

    #[test]
    fn buttons_name_what_they_need() {
        let press = |button| Action::Press {
            from: user(5),
            button: Some(button),
            press: Press::default(),
        };
        let take = needs(&press(Button::Take(CommId(3))), &policy(), 0);
        assert_eq!(take.communication, Some(Find::Id(CommId(3))));
        assert_eq!(take.actor_active, Some(StaffId(5)));
        let history = needs(&press(Button::HistoryOf(CustomerId(42))), &policy(), 0);
        assert_eq!(history.communication, Some(Find::OpenOf(CustomerId(42))));
        assert!(history.assignments);
        assert_eq!(history.archived_count, Some(CustomerId(42)));
        let page = needs(
            &press(Button::UsersBack {
                before: CustomerId(9),
            }),
            &policy(),
            0,
        );
        assert_eq!(
            page.listing,
            Some(ListingQuery::Customers {
                after: None,
                before: Some(CustomerId(9)),
                size: USERS_PAGE
            })
        );
        let rate = needs(
            &press(Button::Rate {
                comm: CommId(8),
                rating: 5,
            }),
            &policy(),
            0,
        );
        assert_eq!(rate.survey, Some(SurveyFind::Of(CommId(8))));
        assert_eq!(
            needs(&press(Button::SkipComment(CommId(8))), &policy(), 0).survey,
            Some(SurveyFind::Of(CommId(8)))
        );
        let junk = Action::Press {
            from: user(5),
            button: None,
            press: Press::default(),
        };
        assert_eq!(needs(&junk, &policy(), 0), Needs::default());
    }

    #[test]
    fn stats_need_the_team_for_controllers_and_nothing_special_for_customers() {
        let mut p = policy();
        p.controllers = vec![StaffId(9)];
        let command = |from| Action::Command {
            from: user(from),
            chat_id: ChatId(from),
            command: Command::Stats,
        };
        let now = 10 * crate::domain::stats::DAY_MS + 5;
        let own = needs(&command(5), &p, now).stats.expect("own stats");
        assert_eq!((own.staff, own.team), (vec![StaffId(5)], false));
        assert_eq!(own.today.from, 10 * crate::domain::stats::DAY_MS);
        let team = needs(&command(9), &p, now).stats.expect("team stats");
        assert_eq!((team.staff, team.team), (vec![StaffId(5)], true));
        let customer = needs(&command(42), &p, now);
        assert_eq!(customer.stats, None);
        assert_eq!(customer.customer, Some(CustomerId(42)));
    }
}
