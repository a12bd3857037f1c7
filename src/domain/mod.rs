//! The help desk's decisions as a pure function: an action, what the database knows
//! about the people and the communication involved (a [`Snapshot`], loaded as the
//! action's [`Needs`] say) and the moment ([`Env`]) give the changes to make and
//! the effects to carry out ([`Decision`]). No I/O here: the store loads the
//! snapshot and applies the decision in one transaction; the Telegram adapter turns
//! the typed effects into Bot API calls.

pub mod action;
mod announce;
pub mod archive;
pub mod audit;
pub mod console;
pub mod csat;
mod delivery;
mod desk;
pub mod disk;
pub mod effect;
pub mod email;
mod env;
pub mod figures;
pub mod hours;
pub mod ids;
mod menus;
pub mod needs;
mod onboarding;
pub mod policy;
mod records;
mod reminders;
pub mod render;
mod routing;
pub mod sanitize;
pub mod split;
mod staff;
pub mod stats;
pub mod texts;
mod texts_table;
mod texts_toolbox;
mod texts_wild;
mod toolbox;
pub mod transcript;
mod wild;

pub use action::{Action, Button, Command, FileRef, Incoming, Kind, MenuItem, Press, Target, User};
pub use audit::{Actor, AuditAction, AuditEntry};
pub use csat::Survey;
pub use effect::{Effect, Format, Key, Keyboard, MailOut, MailPurpose, Outgoing, Purpose, Send};
pub use email::EmailAddress;
pub use env::Env;
pub use ids::{ChatId, CommId, CustomerId, MessageId, StaffId};
pub use needs::{Needs, needs};
pub use onboarding::{CodeKey, code_hash};
pub use policy::{AuthPolicy, Canned, CsatPolicy, Department, Member, Policy};
pub use records::{
    ARCHIVE_PAGE, Announcement, Assignment, Code, Codes, Communication, Customer, CustomerRow,
    CustomerState, Deadline, DeadlineKind, FileNote, HISTORY_PAGE, Listing, LogEntry, Queued, Role,
    Status, UNASSIGNED_SHOWN, USERS_PAGE,
};
pub use toolbox::fill_canned;

/// How long album parts are gathered before they are relayed together.
pub const ALBUM_WINDOW_MS: i64 = 1_200;

/// What the database knows that an event may need. The store fills what the event
/// concerns and leaves the rest empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// The customer concerned (the sender, or the customer of the communication).
    pub customer: Option<Customer>,
    pub codes: Codes,
    /// The communication concerned: the customer's open one, the specialist's
    /// active one, or the one a button names.
    pub communication: Option<Communication>,
    pub log: Vec<LogEntry>,
    pub announcements: Vec<Announcement>,
    /// The acting specialist's active communication (for Take).
    pub actor_active: Option<CommId>,
    /// The copy, in the other party's chat, of the message being replied to.
    pub reply_copy: Option<MessageId>,
    /// The copy, in the other party's chat, of the message being edited.
    pub edit_copy: Option<MessageId>,
    /// Album parts due, by message id.
    pub album: Vec<(CommId, ChatId, MessageId)>,
    /// The id a new communication would get.
    pub next_communication_id: CommId,
    /// Who held the communication when.
    pub assignments: Vec<Assignment>,
    /// The communication's deadlines (always loaded with it).
    pub deadlines: Vec<Deadline>,
    /// How many closed communications the customer has.
    pub archived: i64,
    pub listing: Option<Listing>,
    /// The figures of the communication concerned (none stored yet: `None`).
    pub figures: Option<figures::Figures>,
    pub stats: Option<stats::Stats>,
    /// The satisfaction survey concerned: the one a button names, or the one whose
    /// comment the customer may still write.
    pub survey: Option<Survey>,
    /// The specialists with an active communication, and which (for transfers).
    pub busy: Vec<(StaffId, CommId)>,
    /// The canned answers kept in the database (the configured ones are in the
    /// policy).
    pub canned: Vec<Canned>,
}

/// A change to the stored state.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A staff member was seen in Telegram with this @username (so the console's
    /// sign-in knows it: the configuration has only ids).
    StaffSeen {
        staff: StaffId,
        username: String,
    },
    /// A console sign-in code for `staff` (its keyed hash), replacing any earlier.
    ConsoleCode {
        staff: StaffId,
        hash: String,
        expires_at: i64,
    },
    /// Create the customer, or refresh their profile (and unblock them: they wrote).
    TouchCustomer {
        user: User,
        state_if_new: CustomerState,
    },
    SetCustomerState {
        customer: CustomerId,
        state: CustomerState,
        email: Option<EmailAddress>,
    },
    MarkBlocked {
        customer: CustomerId,
    },
    /// The customer unblocked the bot (SPEC §10): messages reach them again.
    MarkReachable {
        customer: CustomerId,
    },
    /// A service group became the supergroup `to` (SPEC §10): kept, so that every
    /// later message for `from` goes to `to`.
    GroupMoved {
        from: ChatId,
        to: ChatId,
    },
    NewCode {
        customer: CustomerId,
        email: EmailAddress,
        code_hash: String,
        expires_at: i64,
    },
    CodeAttempt {
        customer: CustomerId,
    },
    CodeUsed {
        customer: CustomerId,
    },
    CodeSendFailed {
        customer: CustomerId,
    },
    Open {
        id: CommId,
        customer: CustomerId,
    },
    Log {
        comm: CommId,
        role: Role,
        message: Incoming,
    },
    Assign {
        comm: CommId,
        specialist: StaffId,
    },
    Release {
        comm: CommId,
    },
    /// The communication passes from one specialist to another (SPEC §7.1).
    Transfer {
        comm: CommId,
        from: StaffId,
        to: StaffId,
    },
    /// A new communication waits for the customer to pick a department.
    AwaitDepartment {
        comm: CommId,
    },
    /// The communication belongs to this department now (the choice is over).
    SetDepartment {
        comm: CommId,
        department: String,
    },
    /// An internal note on the communication's log (never relayed).
    Note {
        comm: CommId,
        author: StaffId,
        text: String,
    },
    /// The staff block a customer (SPEC §7.5).
    Block {
        customer: CustomerId,
    },
    Unblock {
        customer: CustomerId,
    },
    /// A blocked customer's message, kept (and archived) but not relayed.
    BlockedMessage {
        message: Incoming,
    },
    /// The blocked customer has been told, once.
    BlockTold {
        customer: CustomerId,
    },
    Close {
        comm: CommId,
        reason: String,
    },
    /// Set (or, with `None`, remove) the timeout-close deadline.
    SetDeadline {
        comm: CommId,
        at: Option<i64>,
    },
    /// Set the deadline of a kind (replacing the one there is): step `step` counted
    /// from `started_at`, due at `due_at` (`None`: every step has fired).
    Schedule {
        comm: CommId,
        kind: DeadlineKind,
        step: u32,
        started_at: i64,
        due_at: Option<i64>,
    },
    /// Remove the deadline of a kind (its condition ended).
    Unschedule {
        comm: CommId,
        kind: DeadlineKind,
    },
    /// A reminder step fired (SPEC §6.3): one change per reminder sent, for the
    /// figures of §6.1. `escalated` when it also went to the controllers.
    ReminderSent {
        comm: CommId,
        kind: DeadlineKind,
        step: u32,
        escalated: bool,
    },
    NewAnnouncement {
        comm: CommId,
        chat: ChatId,
    },
    AnnouncementSent {
        comm: CommId,
        chat: ChatId,
        message_id: MessageId,
    },
    DeactivateAnnouncements {
        comm: CommId,
    },
    MapCopy {
        comm: CommId,
        orig_chat: ChatId,
        orig_msg: MessageId,
        copy_chat: ChatId,
        copy_msg: MessageId,
    },
    AlbumPart {
        comm: CommId,
        chat: ChatId,
        media_group_id: String,
        message_id: MessageId,
        target: ChatId,
    },
    AlbumSent {
        chat: ChatId,
        media_group_id: String,
    },
    /// When the customer is reminded of their stalled onboarding (`None`: never).
    RemindOnboarding {
        customer: CustomerId,
        at: Option<i64>,
    },
    /// The daily report of the day starting at `day_start` went out.
    DailyReportSent {
        day_start: i64,
    },
    /// The figures of a communication after the other changes (SPEC §6.1).
    Figures {
        comm: CommId,
        figures: figures::Figures,
    },
    /// A satisfaction survey is sent for closed communication `comm`.
    NewSurvey {
        comm: CommId,
        customer: CustomerId,
        specialist: Option<StaffId>,
    },
    /// The survey of `comm` arrived as message `message_id` of the customer's chat.
    SurveySent {
        comm: CommId,
        message_id: MessageId,
    },
    /// The customer rated `comm`; `comment_until` is set by the first rating only
    /// (the end of the window for a comment and for changing the rating).
    Rate {
        comm: CommId,
        rating: u8,
        comment_until: Option<i64>,
    },
    /// The customer's comment on the rating of `comm` (the wait for it ends).
    Comment {
        comm: CommId,
        text: String,
    },
    /// No comment is awaited any more (Skip, or the customer wrote something else).
    EndComment {
        comm: CommId,
    },
    /// A line of the audit log (SPEC §7.6), written with the changes it records, at
    /// the action's time. Added through [`Decision::audit`], once per action done.
    Audit(AuditEntry),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decision {
    pub changes: Vec<Change>,
    pub effects: Vec<Effect>,
}

impl Change {
    /// A specialist's message written outside their Telegram chat (a reply from
    /// the console, a canned answer): logged as theirs, under message id 0 of
    /// their chat, so it is counted in the figures and archived.
    pub fn written(comm: CommId, from: &User, kind: Kind, text: String) -> Change {
        Change::Log {
            comm,
            role: Role::Specialist,
            message: Incoming {
                chat_id: from.as_staff().chat(),
                message_id: MessageId(0),
                from: from.clone(),
                kind: Some(kind),
                text: Some(text),
                ..Incoming::default()
            },
        }
    }
}

impl Decision {
    pub fn change(&mut self, c: Change) {
        self.changes.push(c);
    }

    /// Record the action in the audit log (SPEC §7.6): call it where the action's
    /// own change is made, once, and never on a refusal.
    pub fn audit(&mut self, entry: AuditEntry) {
        self.changes.push(Change::Audit(entry));
    }

    /// A message to Telegram.
    pub fn send(&mut self, message: Outgoing) {
        self.effects.push(Effect::Telegram(Send::from(message)));
    }

    /// A message whose result matters (`purpose`), or that replaces a pending one
    /// with the same `coalesce` key.
    pub fn send_for(
        &mut self,
        message: Outgoing,
        purpose: Option<Purpose>,
        coalesce: Option<String>,
    ) {
        self.effects.push(Effect::Telegram(Send {
            message,
            purpose,
            coalesce,
        }));
    }

    /// Send an HTML text to a chat.
    pub fn say(&mut self, chat: ChatId, text: String) {
        self.send(Outgoing::html(chat, text));
    }

    /// Send an HTML text with buttons.
    pub fn say_with(&mut self, chat: ChatId, text: String, keyboard: Keyboard) {
        self.send(Outgoing::html(chat, text).with_buttons(keyboard));
    }

    /// A notice to a customer (a refusal marks them as having blocked the bot).
    pub fn tell_customer(&mut self, customer: CustomerId, text: String) {
        self.send_for(
            Outgoing::html(customer.chat(), text),
            Some(Purpose::Notice { customer }),
            None,
        );
    }

    /// Answer a button press: Telegram's callback answer, or, from a front end
    /// without one, a word for whoever pressed.
    pub fn answer(&mut self, press: &Press, text: String, alert: bool) {
        match &press.callback {
            Some(callback) => self.send(Outgoing::Answer {
                callback: callback.clone(),
                text,
                alert,
            }),
            None if !text.is_empty() => self.effects.push(Effect::Feedback { text, alert }),
            None => {}
        }
    }

    pub fn mail(&mut self, m: MailOut) {
        self.effects.push(Effect::Mail(m));
    }

    /// Whether the decision sets a deadline or gathers an album (the timer must look).
    pub fn touches_timers(&self) -> bool {
        self.changes.iter().any(|c| {
            matches!(
                c,
                Change::SetDeadline { .. }
                    | Change::Schedule { .. }
                    | Change::AlbumPart { .. }
                    | Change::RemindOnboarding { at: Some(_), .. }
                    | Change::Assign { .. }
                    | Change::Open { .. }
            )
        })
    }
}

/// Decide what an action leads to.
pub fn decide(action: &Action, snap: &Snapshot, env: &Env<'_>) -> Decision {
    let lang = env::customer_language(action, snap, env.policy);
    let env = &Env {
        customer: Some(env.texts.for_language(lang)),
        ..*env
    };
    let mut d = Decision::default();
    let policy = env.policy;
    match action {
        Action::Message(m) => {
            if policy.is_specialist(m.from.as_staff()) {
                desk::specialist_message(m, snap, env, &mut d);
            } else if policy.is_controller(m.from.as_staff()) {
                d.say(m.chat_id, env.texts.render("controller_info", &[]));
            } else {
                onboarding::customer_message(m, snap, env, &mut d);
            }
        }
        Action::Edited(m) => desk::edited(m, snap, env, &mut d),
        Action::Command {
            from,
            chat_id,
            command,
        } => {
            let staff =
                policy.is_controller(from.as_staff()) || policy.is_specialist(from.as_staff());
            if *command == Command::Stats && staff {
                show_stats(from, *chat_id, snap, None, env, &mut d);
            } else if policy.is_controller(from.as_staff())
                && matches!(command, Command::Block(Target::Id(_)) | Command::Unblock(_))
            {
                match command {
                    Command::Block(t) => toolbox::block_command(from, t, snap, env, &mut d),
                    Command::Unblock(t) => toolbox::unblock_command(from, t, snap, env, &mut d),
                    _ => {}
                }
            } else if policy.is_specialist(from.as_staff()) {
                staff::specialist_command(from, *chat_id, command, snap, env, &mut d);
            } else if policy.is_controller(from.as_staff()) {
                d.say(*chat_id, env.texts.render("controller_info", &[]));
            } else {
                onboarding::customer_command(from, *chat_id, command, snap, env, &mut d);
            }
        }
        Action::Press {
            from,
            button,
            press,
        } => match button {
            None => d.answer(press, env.texts.render_plain("button_unknown", &[]), false),
            // A survey hears its own customer only, whoever else presses.
            Some(button) if button.is_survey() => {
                csat::press(press, from, button, snap, env, &mut d)
            }
            // A department button hears its own customer only.
            Some(Button::Department { comm, department }) => {
                routing::pressed(press, from, *comm, *department, snap, env, &mut d)
            }
            Some(Button::Stats { .. })
                if policy.is_controller(from.as_staff())
                    || policy.is_specialist(from.as_staff()) =>
            {
                show_stats(from, from.as_staff().chat(), snap, Some(press), env, &mut d)
            }
            Some(button) => {
                if policy.is_specialist(from.as_staff()) {
                    staff::specialist_button(press, from, button, snap, env, &mut d);
                } else if matches!(button, Button::ChangeEmail | Button::ResendCode)
                    && !policy.is_controller(from.as_staff())
                {
                    onboarding::customer_button(press, from, button, snap, env, &mut d);
                } else {
                    d.answer(press, env.texts.render_plain("only_specialists", &[]), true);
                }
            }
        },
        Action::IdleTimeout { .. } => desk::idle_timeout(snap, env, &mut d),
        Action::DailyReport { day_start } => {
            if let Some(s) = &snap.stats {
                let heading = env
                    .texts
                    .render("stats_daily_heading", &[("date", &policy.date(*day_start))]);
                for controller in &policy.controllers {
                    stats::team(controller.chat(), &heading, s, None, env, &mut d);
                }
            }
            d.change(Change::DailyReportSent {
                day_start: *day_start,
            });
        }
        Action::Reminder { kind, .. } => reminders::reminder(*kind, snap, env, &mut d),
        Action::OnboardingReminder { customer } => {
            onboarding::stalled(*customer, snap, env, &mut d)
        }
        Action::AlbumDue {
            chat_id,
            media_group_id,
        } => desk::album_due(*chat_id, media_group_id, snap, env, &mut d),
        Action::Delivered { purpose, copies } => {
            delivery::delivered(purpose, copies, snap, env, &mut d)
        }
        Action::DeliveryFailed {
            purpose,
            code,
            description,
        } => delivery::delivery_failed(purpose, *code, description, snap, env, &mut d),
        Action::MailFailed { purpose, .. } => onboarding::mail_failed(purpose, snap, env, &mut d),
        Action::GroupMoved { from, to } => wild::group_moved(*from, *to, env, &mut d),
        Action::Membership {
            chat,
            private,
            was_in,
            is_in,
        } => wild::membership(*chat, *private, *was_in, *is_in, snap, env, &mut d),
        Action::ConsoleCode { staff } => console::code_requested(*staff, env, &mut d),
        Action::ConsoleReply { from, comm, text } => {
            console::reply(from, *comm, text, snap, env, &mut d)
        }
    }
    console::username_seen(action, env, &mut d);
    record_figures(snap, env, &mut d);
    wild::hold_for_unreachable(snap, &mut d);
    d
}

/// `/stats` or a period button: the team's for a controller, else one's own.
fn show_stats(
    from: &User,
    chat: ChatId,
    snap: &Snapshot,
    press: Option<&Press>,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let Some(s) = &snap.stats else {
        return;
    };
    if env.policy.is_controller(from.as_staff()) {
        let heading = env
            .texts
            .render("stats_team_heading", &[("days", &s.days.to_string())]);
        stats::team(chat, &heading, s, press, env, d);
    } else {
        stats::specialist(from.as_staff(), s.days, s, press, env, d);
    }
}

/// The figures the decision's changes move on (SPEC §6.1), as changes of their own.
fn record_figures(snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let current = snap.communication.as_ref().map(|c| {
        let f = snap
            .figures
            .clone()
            .unwrap_or_else(|| figures::Figures::opened(c.opened_at));
        (c.id, f)
    });
    let current = current.as_ref().map(|(id, f)| (*id, f));
    for (comm, figures) in figures::after(current, &d.changes, env.now, env.policy) {
        d.change(Change::Figures { comm, figures });
    }
}

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
