//! Satisfaction surveys (SPEC §6.5): after a close, the customer rates the help
//! from 1 to 5 and may add a comment; the specialist and the watchers see both.

use super::audit::{Actor, AuditAction, AuditEntry};
use super::{
    Button, Change, ChatId, CommId, Communication, CustomerId, Decision, Env, Format, Incoming,
    Key, Keyboard, Kind, MessageId, Outgoing, Press, Purpose, Snapshot, StaffId, User,
};

/// A survey older than this (since it was asked) takes no more presses.
pub const SURVEY_MAX_AGE_MS: i64 = 7 * 24 * 3_600_000;

/// At most this many characters of a comment are quoted to the staff (the whole
/// comment is stored).
const COMMENT_QUOTED: usize = 3_000;

/// The satisfaction survey of a closed communication.
#[derive(Clone, Debug, PartialEq)]
pub struct Survey {
    pub comm: CommId,
    pub customer_id: CustomerId,
    pub specialist_id: Option<StaffId>,
    pub asked_at: i64,
    /// The survey's message in the customer's chat, once it was delivered.
    pub message_id: Option<MessageId>,
    pub rating: Option<u8>,
    pub rated_at: Option<i64>,
    pub comment: Option<String>,
    /// Set by the first rating: until then a comment is taken and the rating may
    /// be changed.
    pub comment_until: Option<i64>,
    /// Rated, and neither commented on nor skipped yet.
    pub awaiting_comment: bool,
}

impl Survey {
    /// Whether the customer's next text is this survey's comment.
    pub fn awaits_comment(&self, now: i64) -> bool {
        self.awaiting_comment && self.comment_until.is_some_and(|t| now <= t)
    }

    /// Whether a press may (still) set the rating: the first one, or a change
    /// within the window.
    pub fn may_rate(&self, now: i64) -> bool {
        self.rating.is_none() || self.comment_until.is_some_and(|t| now <= t)
    }
}

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// `★★★★☆` for 4.
pub fn stars(rating: u8) -> String {
    let full = usize::from(rating.min(5));
    format!("{}{}", "★".repeat(full), "☆".repeat(5 - full))
}

/// The label of the button for `rating`: it always holds its digit, whatever the
/// configured text.
fn label(rating: u8, env: &Env<'_>) -> String {
    let digit = rating.to_string();
    let label = env.to_customer().render_plain(
        "button_rate",
        &[("rating", &digit), ("stars", &stars(rating))],
    );
    if label.contains(&digit) {
        label
    } else {
        format!("{digit} {label}")
    }
}

/// The five rating buttons of a survey.
pub fn keyboard(comm: CommId, env: &Env<'_>) -> Keyboard {
    Keyboard::row(
        (1..=5)
            .map(|rating| Key::new(label(rating, env), Button::Rate { comm, rating }))
            .collect(),
    )
}

/// The survey's question, with the rating once there is one.
fn question(comm: CommId, rating: Option<u8>, env: &Env<'_>) -> String {
    let id = comm.to_string();
    match rating {
        None => env.to_customer().render("survey_question", &[("id", &id)]),
        Some(r) => env.to_customer().render(
            "survey_rated",
            &[
                ("id", &id),
                ("rating", &r.to_string()),
                ("stars", &stars(r)),
            ],
        ),
    }
}

/// Ask the customer of a communication just closed to rate the help.
pub fn ask(comm: &Communication, env: &Env<'_>, d: &mut Decision) {
    d.change(Change::NewSurvey {
        comm: comm.id,
        customer: comm.customer_id,
        specialist: comm.specialist_id,
    });
    d.send_for(
        Outgoing::html(comm.customer_id.chat(), question(comm.id, None, env))
            .with_buttons(keyboard(comm.id, env)),
        Some(Purpose::Survey {
            comm: comm.id,
            customer: comm.customer_id,
        }),
        None,
    );
}

/// The specialist of the communication and the watchers.
fn staff_chats(survey: &Survey, env: &Env<'_>) -> Vec<ChatId> {
    let mut chats: Vec<ChatId> = survey
        .specialist_id
        .map(StaffId::chat)
        .into_iter()
        .collect();
    for chat in env.watchers() {
        if !chats.contains(&chat) {
            chats.push(chat);
        }
    }
    chats
}

/// A press on a survey's button (anyone may press what they see; only the
/// survey's customer is heard).
pub fn press(
    press: &Press,
    from: &User,
    button: &Button,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let comm = match button {
        Button::Rate { comm, .. } | Button::SkipComment(comm) => *comm,
        _ => return,
    };
    let id = comm.to_string();
    // A refusal, shown as an alert on the button.
    let refuse = |key: &str, d: &mut Decision| {
        let text = env.to_customer().render_plain(key, &[("id", &id)]);
        d.answer(press, text, true);
    };
    let Some(survey) = snap.survey.as_ref().filter(|s| s.comm == comm) else {
        refuse("survey_gone", d);
        return;
    };
    if survey.customer_id != from.as_customer() {
        refuse("survey_not_yours", d);
        return;
    }
    if env.now - survey.asked_at > SURVEY_MAX_AGE_MS {
        refuse("survey_expired", d);
        return;
    }
    match *button {
        Button::Rate { rating, .. } => rate(press, from, survey, rating, env, d),
        Button::SkipComment(_) => skip(press, survey, env, d),
        _ => {}
    }
}

fn rate(press: &Press, from: &User, survey: &Survey, rating: u8, env: &Env<'_>, d: &mut Decision) {
    let comm = survey.comm;
    if !survey.may_rate(env.now) {
        let given = survey.rating.unwrap_or(rating).to_string();
        d.answer(
            press,
            env.to_customer()
                .render_plain("survey_final", &[("rating", &given)]),
            true,
        );
        return;
    }
    let rating_text = rating.to_string();
    let thanks = env
        .texts
        .render_plain("survey_thanks", &[("rating", &rating_text)]);
    if survey.rating == Some(rating) {
        d.answer(press, thanks, false);
        return;
    }
    let first = survey.rating.is_none();
    d.change(Change::Rate {
        comm,
        rating,
        comment_until: first.then(|| env.now + ms(env.policy.csat.comment_window)),
    });
    d.audit(
        AuditEntry::new(
            Actor::Customer(from.as_customer()),
            AuditAction::Rating,
            Some(comm),
        )
        .detail("rating", rating)
        .detail_opt("previous", survey.rating)
        .detail(
            "comment",
            if survey.comment.is_some() {
                "yes"
            } else {
                "no"
            },
        ),
    );
    d.answer(press, thanks, false);
    // The question shows the rating; its buttons stay, to change it in the window.
    let chat = survey.customer_id.chat();
    let shown = survey
        .message_id
        .or_else(|| press.message.filter(|(c, _)| *c == chat).map(|(_, m)| m));
    if let Some(message) = shown {
        d.send_for(
            Outgoing::Edit {
                chat,
                message,
                text: question(comm, Some(rating), env),
                format: Format::Html,
                buttons: Some(keyboard(comm, env)),
            },
            None,
            Some(format!("survey:{comm}")),
        );
    }
    if first {
        let minutes = env.policy.csat.comment_window.as_secs().div_ceil(60).max(1);
        d.send_for(
            Outgoing::html(
                chat,
                env.to_customer()
                    .render("survey_comment_ask", &[("minutes", &minutes.to_string())]),
            )
            .with_buttons(Keyboard::single(
                env.to_customer().render_plain("button_skip", &[]),
                Button::SkipComment(comm),
            )),
            Some(Purpose::Notice {
                customer: survey.customer_id,
            }),
            None,
        );
    }
    let key = if first {
        "rating_notice"
    } else {
        "rating_changed_notice"
    };
    let text = env.texts.render(
        key,
        &[
            ("id", &comm.to_string()),
            ("rating", &rating_text),
            ("stars", &stars(rating)),
            ("customer", &from.display_name()),
        ],
    );
    for chat in staff_chats(survey, env) {
        d.say(chat, text.clone());
    }
}

fn skip(press: &Press, survey: &Survey, env: &Env<'_>, d: &mut Decision) {
    if !survey.awaits_comment(env.now) {
        d.answer(
            press,
            env.to_customer()
                .render_plain("survey_no_comment_awaited", &[]),
            false,
        );
        return;
    }
    d.change(Change::EndComment { comm: survey.comm });
    d.answer(press, String::new(), false);
    if let Some((chat, message)) = press.message {
        d.send(Outgoing::Edit {
            chat,
            message,
            text: env.to_customer().render("survey_skipped", &[]),
            format: Format::Html,
            buttons: None,
        });
    }
}

/// A verified customer's message, with no open request, while a survey of theirs
/// may await a comment: a text is the comment (`true`: taken, nothing else to do);
/// anything else ends the wait and goes on as usual.
pub fn comment(m: &Incoming, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) -> bool {
    let customer = m.from.as_customer();
    let Some(survey) = snap
        .survey
        .as_ref()
        .filter(|s| s.customer_id == customer && s.awaits_comment(env.now))
    else {
        return false;
    };
    if snap.communication.is_some() {
        return false;
    }
    let text = match (m.kind(), m.text.as_deref()) {
        (Kind::Text, Some(t)) if !t.trim().is_empty() && m.media_group_id.is_none() => t,
        _ => {
            d.change(Change::EndComment { comm: survey.comm });
            return false;
        }
    };
    d.change(Change::Comment {
        comm: survey.comm,
        text: text.to_string(),
    });
    // The comment completes the rating: its line says a comment came (not what).
    d.audit(
        AuditEntry::new(
            Actor::Customer(customer),
            AuditAction::Rating,
            Some(survey.comm),
        )
        .detail_opt("rating", survey.rating)
        .detail("comment", "added"),
    );
    d.tell_customer(
        customer,
        env.to_customer().render("survey_comment_thanks", &[]),
    );
    let quoted: String = text.chars().take(COMMENT_QUOTED).collect();
    let quoted = if quoted.len() < text.len() {
        format!("{quoted}…")
    } else {
        quoted
    };
    let rating = survey.rating.unwrap_or(0);
    let notice = env.texts.render(
        "comment_notice",
        &[
            ("id", &survey.comm.to_string()),
            ("rating", &rating.to_string()),
            ("stars", &stars(rating)),
            ("customer", &m.from.display_name()),
            ("comment", &quoted),
        ],
    );
    for chat in staff_chats(survey, env) {
        d.say(chat, notice.clone());
    }
    true
}
