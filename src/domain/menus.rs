//! The specialists' menus: `/service`, the queue, customers, history and archives.
//! Lists are pages of buttons (Prev/Next) that turn in place.

use super::render::{self, time};
use super::{
    Button, Communication, CustomerRow, CustomerState, Decision, Env, Format, Key, Keyboard,
    Listing, MenuItem, Outgoing, Press, Snapshot, Status,
};
use super::{ChatId, CommId, CustomerId, MessageId, StaffId};
use crate::domain::split::{MESSAGE_LIMIT, split};
use crate::domain::texts::escape_html;
use crate::domain::transcript::Transcript;

/// Where a menu was pressed: its message is edited instead of sending a new one.
pub type Origin = Option<(ChatId, MessageId)>;

fn button(env: &Env<'_>, key: &str, data: Button) -> Key {
    Key::new(env.texts.render_plain(key, &[]), data)
}

/// The specialist's `/service` menu.
pub fn service_menu(chat: ChatId, env: &Env<'_>, d: &mut Decision) {
    let k = Keyboard(vec![
        vec![
            button(env, "menu_current", Button::Menu(MenuItem::Current)),
            button(env, "menu_unassigned", Button::Menu(MenuItem::Unassigned)),
        ],
        vec![
            button(env, "menu_release", Button::Menu(MenuItem::Release)),
            button(env, "menu_close", Button::Menu(MenuItem::Close)),
        ],
        vec![
            button(
                env,
                "menu_users",
                Button::Users {
                    after: CustomerId(0),
                },
            ),
            button(
                env,
                "menu_history",
                Button::History {
                    after: CustomerId(0),
                },
            ),
        ],
        vec![
            button(env, "menu_transfer", Button::Menu(MenuItem::Transfer)),
            button(env, "menu_canned", Button::Menu(MenuItem::Canned)),
        ],
    ]);
    d.say_with(chat, env.texts.render("specialist_menu", &[]), k);
}

/// Send a text, or edit the menu message it was asked from.
fn show(chat: ChatId, origin: Origin, text: String, keyboard: Keyboard, d: &mut Decision) {
    match origin {
        Some((c, message_id)) if c == chat => d.send(Outgoing::Edit {
            chat,
            message: message_id,
            text,
            format: Format::Html,
            buttons: Some(keyboard),
        }),
        _ => d.say_with(chat, text, keyboard),
    }
}

fn waiting(env: &Env<'_>, since: i64) -> String {
    let minutes = (env.now - since).max(0) / 60_000;
    if minutes < 60 {
        format!("{minutes} min")
    } else if minutes < 48 * 60 {
        format!("{} h {} min", minutes / 60, minutes % 60)
    } else {
        format!("{} d", minutes / (24 * 60))
    }
}

/// `/unassigned`: each waiting communication, oldest first, with a Take button.
pub fn unassigned(chat: ChatId, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let Some(Listing::Unassigned { rows, total }) = &snap.listing else {
        return;
    };
    if rows.is_empty() {
        d.say(chat, env.texts.render("queue_empty", &[]));
        return;
    }
    for q in rows {
        let first = q.first_text.as_deref().unwrap_or("…");
        let first: String = first.chars().take(300).collect();
        let text = env.texts.render_html(
            "queued",
            &[
                ("id", &q.comm.id.to_string()),
                ("customer", &render::customer_line(&q.customer)),
                ("waiting", &escape_html(&waiting(env, q.comm.opened_at))),
                ("first", &escape_html(&first)),
            ],
        );
        d.say_with(
            chat,
            text,
            Keyboard::row(vec![button(env, "button_take", Button::Take(q.comm.id))]),
        );
    }
    let more = *total - rows.len() as i64;
    if more > 0 {
        d.say(
            chat,
            env.texts
                .render("queue_more", &[("count", &more.to_string())]),
        );
    }
}

fn state_of(env: &Env<'_>, row: &CustomerRow) -> String {
    let c = &row.customer;
    let mut s = match (&row.open, c.state) {
        (Some(open), _) => match open.specialist_id {
            Some(sp) => env.texts.render_plain(
                "state_assigned",
                &[
                    ("id", &open.id.to_string()),
                    ("name", &env.specialist_name(sp)),
                ],
            ),
            None => env
                .texts
                .render_plain("state_waiting", &[("id", &open.id.to_string())]),
        },
        (None, CustomerState::Verified) => env.texts.render_plain("state_verified", &[]),
        (None, CustomerState::AwaitingCode) => env.texts.render_plain("state_code", &[]),
        (None, CustomerState::AwaitingEmail) => env.texts.render_plain("state_email", &[]),
    };
    if c.banned {
        s.push_str(&env.texts.render_plain("state_banned", &[]));
    }
    if c.blocked {
        s.push_str(&env.texts.render_plain("state_blocked", &[]));
    }
    s
}

fn nav(
    rows: &[CustomerRow],
    has_prev: bool,
    has_next: bool,
    env: &Env<'_>,
    back: fn(CustomerId) -> Button,
    next: fn(CustomerId) -> Button,
) -> Vec<Key> {
    let mut row = Vec::new();
    if let (true, Some(first)) = (has_prev, rows.first()) {
        row.push(button(
            env,
            "button_prev",
            back(first.customer.user.as_customer()),
        ));
    }
    if let (true, Some(last)) = (has_next, rows.last()) {
        row.push(button(
            env,
            "button_next",
            next(last.customer.user.as_customer()),
        ));
    }
    row
}

/// The page of customers a list shows, after answering the button that asked for
/// it; `None` (with a clear answer) when there is nothing to show.
fn customer_page<'a>(
    chat: ChatId,
    origin: Origin,
    press: Option<&Press>,
    snap: &'a Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) -> Option<(&'a [CustomerRow], bool, bool)> {
    let Some(Listing::Customers {
        rows,
        has_prev,
        has_next,
    }) = &snap.listing
    else {
        return None;
    };
    if rows.is_empty() {
        match press {
            Some(press) if origin.is_some() => {
                d.answer(press, env.texts.render_plain("page_gone", &[]), true)
            }
            _ => d.say(chat, env.texts.render("no_customers", &[])),
        }
        return None;
    }
    if let Some(press) = press {
        d.answer(press, String::new(), false);
    }
    Some((rows, *has_prev, *has_next))
}

/// The two lists of customers a specialist pages through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerList {
    /// `/users`: the customers with their state.
    Users,
    /// `/history`: a button a customer, to pick whose history to see.
    History,
}

/// A page of `list`, answering the button that asked for it.
pub fn customers(
    list: CustomerList,
    chat: ChatId,
    origin: Origin,
    press: Option<&Press>,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let Some((rows, has_prev, has_next)) = customer_page(chat, origin, press, snap, env, d) else {
        return;
    };
    let (text, mut buttons) = match list {
        CustomerList::Users => {
            let mut text = env.texts.render("users_header", &[]);
            for row in rows {
                text.push('\n');
                text.push_str(&format!(
                    "• {} — {}",
                    render::customer_line(&row.customer),
                    escape_html(&state_of(env, row))
                ));
            }
            (text, Vec::new())
        }
        CustomerList::History => {
            let buttons: Vec<Vec<Key>> = rows
                .iter()
                .map(|row| {
                    let c = &row.customer;
                    let mut label = c.user.display_name();
                    if let Some(open) = &row.open {
                        label.push_str(&format!(" · #{}", open.id));
                    }
                    vec![Key::new(label, Button::HistoryOf(c.user.as_customer()))]
                })
                .collect();
            (env.texts.render("history_pick", &[]), buttons)
        }
    };
    // The buttons that turn the page back and on.
    type Turn = fn(CustomerId) -> Button;
    let (back, next): (Turn, Turn) = match list {
        CustomerList::Users => (
            |before| Button::UsersBack { before },
            |after| Button::Users { after },
        ),
        CustomerList::History => (
            |before| Button::HistoryBack { before },
            |after| Button::History { after },
        ),
    };
    let nav = nav(rows, has_prev, has_next, env, back, next);
    // The users' list always has its row of page buttons (empty on a single page);
    // the history's has one only when there are pages to turn.
    if list == CustomerList::Users || !nav.is_empty() {
        buttons.push(nav);
    }
    show(chat, origin, text, Keyboard(buttons), d);
}

/// Send a transcript as plain-text messages, the last with `keyboard`.
fn send_transcript(chat: ChatId, text: &str, keyboard: Option<Keyboard>, d: &mut Decision) {
    let parts = split(text, MESSAGE_LIMIT);
    let n = parts.len();
    for (i, part) in parts.into_iter().enumerate() {
        let mut message = Outgoing::plain(chat, part);
        if i + 1 == n
            && let Some(k) = &keyboard
        {
            message = message.with_buttons(k.clone());
        }
        d.send(message);
    }
}

fn transcript(comm: &Communication, snap: &Snapshot, env: &Env<'_>) -> Option<String> {
    let customer = snap.customer.as_ref()?;
    let name = |id: StaffId| env.specialist_name(id);
    Some(
        Transcript {
            comm,
            customer,
            assignments: &snap.assignments,
            log: &snap.log,
            specialist_name: &name,
            texts: env.texts.staff(),
        }
        .render(),
    )
}

/// One customer's history: the open communication, or buttons for the archive.
pub fn history_of(chat: ChatId, press: &Press, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let Some(customer) = &snap.customer else {
        d.answer(press, env.texts.render_plain("page_gone", &[]), true);
        return;
    };
    d.answer(press, String::new(), false);
    let id = customer.user.as_customer();
    let archive_buttons = |d: &mut Decision, text: String| {
        let k = Keyboard::row(vec![
            button(env, "button_archive_last", Button::ArchiveLast(id)),
            button(
                env,
                "button_archive_all",
                Button::ArchiveList {
                    customer: id,
                    before: CommId(0),
                },
            ),
        ]);
        d.say_with(chat, text, k);
    };
    match &snap.communication {
        Some(open) if open.status != Status::Closed => {
            let earlier = (snap.archived > 0).then(|| {
                Keyboard::row(vec![button(
                    env,
                    "button_archive_earlier",
                    Button::ArchiveList {
                        customer: id,
                        before: CommId(0),
                    },
                )])
            });
            if let Some(text) = transcript(open, snap, env) {
                send_transcript(chat, &text, earlier, d);
            }
        }
        _ if snap.archived == 0 => d.say(
            chat,
            env.texts.render_html(
                "history_none",
                &[("customer", &render::customer_line(customer))],
            ),
        ),
        _ => archive_buttons(
            d,
            env.texts.render_html(
                "history_archived",
                &[
                    ("customer", &render::customer_line(customer)),
                    ("count", &snap.archived.to_string()),
                ],
            ),
        ),
    }
}

/// An archived communication as text, with a Download (zip) button.
pub fn archive_show(chat: ChatId, press: &Press, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let Some(comm) = &snap.communication else {
        d.answer(press, env.texts.render_plain("archive_gone", &[]), true);
        return;
    };
    d.answer(press, String::new(), false);
    if let Some(text) = transcript(comm, snap, env) {
        let k = Keyboard::row(vec![button(env, "button_zip", Button::ArchiveZip(comm.id))]);
        send_transcript(chat, &text, Some(k), d);
    }
}

/// The list of a customer's archived communications (newest first).
pub fn archive_list(
    chat: ChatId,
    origin: Origin,
    press: &Press,
    customer: CustomerId,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let Some(Listing::Archived { rows, has_more }) = &snap.listing else {
        return;
    };
    if rows.is_empty() {
        d.answer(press, env.texts.render_plain("archive_gone", &[]), true);
        return;
    }
    d.answer(press, String::new(), false);
    let mut buttons: Vec<Vec<Key>> = rows
        .iter()
        .map(|c| {
            let mut label = format!("#{} · {}", c.id, time(c.opened_at));
            if let Some(reason) = &c.close_reason {
                label.push_str(&format!(" · {reason}"));
            }
            vec![Key::new(label, Button::ArchiveShow(c.id))]
        })
        .collect();
    if let (true, Some(last)) = (*has_more, rows.last()) {
        buttons.push(vec![button(
            env,
            "button_older",
            Button::ArchiveList {
                customer,
                before: last.id,
            },
        )]);
    }
    show(
        chat,
        origin,
        env.texts.render("archive_pick", &[]),
        Keyboard(buttons),
        d,
    );
}

/// Ask for the zip of a communication.
pub fn archive_zip(chat: ChatId, press: &Press, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    match &snap.communication {
        Some(comm) => {
            d.answer(press, env.texts.render_plain("zip_preparing", &[]), false);
            d.effects.push(super::Effect::Zip {
                comm: comm.id,
                chat,
            });
        }
        None => d.answer(press, env.texts.render_plain("archive_gone", &[]), true),
    }
}
