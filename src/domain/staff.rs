//! What a specialist asks for, by command or button, sent to the decision that
//! handles it: the desk (Take, release, close), the toolbox (transfer, notes, canned
//! answers, blocking), the menus and lists, the surveys.

use super::desk::{CloseBy, close, release};
use super::desk::{Own, own_action, take};
use super::menus::CustomerList;
use super::{
    Button, ChatId, CommId, Command, CustomerId, Decision, Env, MenuItem, Press, Snapshot, Status,
    User,
};
use super::{csat, menus, toolbox};

pub fn specialist_command(
    from: &User,
    chat: ChatId,
    command: &Command,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    match command {
        Command::Start => d.say(
            chat,
            env.texts.render(
                "specialist_greeting",
                &[("name", &env.specialist_name(from.as_staff()))],
            ),
        ),
        Command::Service => menus::service_menu(chat, env, d),
        Command::Release => own_action(Own::Release, from.as_staff(), chat, None, snap, env, d),
        Command::Close => own_action(Own::Close, from.as_staff(), chat, None, snap, env, d),
        Command::Current => own_action(Own::Current, from.as_staff(), chat, None, snap, env, d),
        Command::Unassigned => menus::unassigned(chat, snap, env, d),
        Command::Users => menus::customers(CustomerList::Users, chat, None, None, snap, env, d),
        Command::History => menus::customers(CustomerList::History, chat, None, None, snap, env, d),
        // Staff get their stats before the desk is asked (see `decide`).
        Command::Stats => {}
        Command::Transfer => toolbox::transfer_list(from.as_staff(), None, snap, env, d),
        Command::Note(text) => toolbox::note(from.as_staff(), text, snap, env, d),
        Command::Canned(key) => toolbox::canned(from, key.as_deref(), None, snap, env, d),
        Command::Block(target) => toolbox::block_command(from, target, snap, env, d),
        Command::Unblock(target) => toolbox::unblock_command(from, target, snap, env, d),
        Command::Other(_) => d.say(chat, env.texts.render("unknown_command", &[])),
    }
}

pub fn specialist_button(
    press: &Press,
    from: &User,
    data: &Button,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let me = from.as_staff();
    let origin = press.message;
    // Lists and menus answer in the specialist's private chat.
    let chat = me.chat();
    let target = snap.communication.as_ref();
    match data {
        Button::Take(n) => take(press, me, *n, snap, env, d),
        Button::Release(n) | Button::Close(n) => {
            let Some(comm) = target.filter(|c| {
                c.id == *n && c.status == Status::Assigned && c.specialist_id == Some(me)
            }) else {
                d.answer(
                    press,
                    env.texts
                        .render_plain("not_yours", &[("id", &n.to_string())]),
                    true,
                );
                return;
            };
            d.answer(press, String::new(), false);
            if matches!(data, Button::Release(_)) {
                release(comm, me, snap, env, d);
            } else {
                close(comm, CloseBy::Specialist, env, d);
            }
        }
        Button::Menu(MenuItem::Current) => {
            own_action(Own::Current, me, chat, Some(press), snap, env, d)
        }
        Button::Menu(MenuItem::Release) => {
            own_action(Own::Release, me, chat, Some(press), snap, env, d)
        }
        Button::Menu(MenuItem::Close) => {
            own_action(Own::Close, me, chat, Some(press), snap, env, d)
        }
        Button::Menu(MenuItem::Unassigned) => {
            d.answer(press, String::new(), false);
            menus::unassigned(chat, snap, env, d);
        }
        Button::Menu(MenuItem::Transfer) | Button::Transfer(_) => {
            toolbox::transfer_list(me, Some(press), snap, env, d)
        }
        Button::Menu(MenuItem::Canned) => {
            d.answer(press, String::new(), false);
            toolbox::canned(from, None, None, snap, env, d);
        }
        Button::Canned(key) => toolbox::canned(from, Some(key), Some(press), snap, env, d),
        Button::TransferTo { comm, to } => {
            toolbox::transfer_to(press, me, *comm, *to, snap, env, d)
        }
        Button::TransferQueue { comm, department } => {
            toolbox::transfer_to_queue(press, me, *comm, *department, snap, env, d)
        }
        // A first page opens as a new message; turning pages edits it in place.
        Button::Users {
            after: CustomerId(0),
        } => menus::customers(CustomerList::Users, chat, None, Some(press), snap, env, d),
        Button::Users { .. } | Button::UsersBack { .. } => {
            menus::customers(CustomerList::Users, chat, origin, Some(press), snap, env, d)
        }
        Button::History {
            after: CustomerId(0),
        } => menus::customers(CustomerList::History, chat, None, Some(press), snap, env, d),
        Button::History { .. } | Button::HistoryBack { .. } => menus::customers(
            CustomerList::History,
            chat,
            origin,
            Some(press),
            snap,
            env,
            d,
        ),
        Button::HistoryOf(_) => menus::history_of(chat, press, snap, env, d),
        Button::ArchiveLast(_) | Button::ArchiveShow(_) => {
            menus::archive_show(chat, press, snap, env, d)
        }
        Button::ArchiveList { customer, before } => {
            let origin = if *before == CommId(0) { None } else { origin };
            menus::archive_list(chat, origin, press, *customer, snap, env, d)
        }
        Button::ArchiveZip(_) => menus::archive_zip(chat, press, snap, env, d),
        // Staff get their stats before the desk is asked (see `decide`).
        Button::Stats { .. } => {}
        Button::Noop => d.answer(press, String::new(), false),
        Button::ChangeEmail | Button::ResendCode | Button::Department { .. } => {
            d.answer(press, env.texts.render_plain("button_unknown", &[]), false)
        }
        // Surveys are decided before the presser's role is looked at.
        Button::Rate { .. } | Button::SkipComment(_) => {
            csat::press(press, from, data, snap, env, d)
        }
    }
}
