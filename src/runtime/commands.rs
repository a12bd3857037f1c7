//! The command lists Telegram shows each role (`setMyCommands`): customers get the
//! default scope (in `texts.locale`, and with `texts.per_customer` also the other
//! language's list for the users of that language), each specialist and controller
//! a chat scope of their own. Sent at
//! start and on a reload through the outbox, only the lists that changed (a role or
//! the texts); chats that lost their role get their list removed.

use crate::domain::ChatId;
use std::collections::BTreeSet;

use crate::config::Config;
use crate::domain::Outgoing;
use crate::domain::texts::{Lang, Locale, Texts};
use crate::error::Result;
use crate::store::{self, Store};

const CUSTOMER: &[&str] = &["start", "service"];
const SPECIALIST: &[&str] = &[
    "service",
    "current",
    "close",
    "release",
    "unassigned",
    "users",
    "history",
    "stats",
    "transfer",
    "note",
    "c",
    "block",
];
const CONTROLLER: &[&str] = &["start", "stats", "block", "unblock"];

const SIGNATURE_KEY: &str = "commands_signature";
const CHATS_KEY: &str = "commands_chats";

fn list(names: &[&str], texts: &Lang) -> Vec<(String, String)> {
    names
        .iter()
        .map(|n| (n.to_string(), texts.render_plain(&format!("cmd_{n}"), &[])))
        .collect()
}

/// The lists that give every role its commands, and the chats with a list of their own.
pub fn plan(config: &Config, all: &Texts) -> (Vec<Outgoing>, BTreeSet<i64>) {
    let texts = all.staff();
    let mut calls = vec![Outgoing::Commands {
        chat: None,
        language: None,
        commands: list(CUSTOMER, texts),
    }];
    // Customers are answered in their language: their menu is in it too.
    for other in [Locale::Ru, Locale::En] {
        let code = other.as_str();
        let theirs = all.for_language(Some(code));
        if theirs.locale() == other && other != all.locale() {
            calls.push(Outgoing::Commands {
                chat: None,
                language: Some(code.to_string()),
                commands: list(CUSTOMER, theirs),
            });
        }
    }
    let mut chats = BTreeSet::new();
    for s in &config.specialists {
        chats.insert(s.chat_id);
        let mut commands = list(SPECIALIST, texts);
        // A specialist who is also a controller may unblock too.
        if config.controllers.iter().any(|c| c.chat_id == s.chat_id) {
            commands.extend(list(&["unblock"], texts));
        }
        calls.push(Outgoing::Commands {
            chat: Some(ChatId(s.chat_id)),
            language: None,
            commands,
        });
    }
    for c in config
        .controllers
        .iter()
        .filter(|c| !config.is_specialist(c.chat_id))
    {
        chats.insert(c.chat_id);
        calls.push(Outgoing::Commands {
            chat: Some(ChatId(c.chat_id)),
            language: None,
            commands: list(CONTROLLER, texts),
        });
    }
    (calls, chats)
}

/// Queue the command lists that differ from the last ones sent (at start, and on a
/// reload for the staff whose role changed): a chat whose list is unchanged gets
/// nothing, a chat that lost its role gets its list removed. Whether anything was
/// queued.
pub fn register(store: &Store, config: &Config, texts: &Texts) -> Result<bool> {
    let (calls, chats) = plan(config, texts);
    let signature = serde_json::to_string(&calls).unwrap_or_default();
    let mut conn = store.lock();
    let tx = conn.transaction()?;
    let sent = store::meta_get(&tx, SIGNATURE_KEY)?;
    if sent.as_deref() == Some(signature.as_str()) {
        return Ok(false);
    }
    // The lists sent last time (none readable: every list is sent).
    let sent: Vec<Outgoing> = sent
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let previous: BTreeSet<i64> = store::meta_get(&tx, CHATS_KEY)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let now = crate::now_ms();
    for message in calls.iter().filter(|call| !sent.contains(call)) {
        store::outbox::enqueue(&tx, &message.clone().into(), now)?;
    }
    for gone in previous.difference(&chats) {
        store::outbox::enqueue(&tx, &Outgoing::ClearCommands { chat: *gone }.into(), now)?;
    }
    store::meta_set(&tx, SIGNATURE_KEY, &signature)?;
    store::meta_set(
        &tx,
        CHATS_KEY,
        &serde_json::to_string(&chats).unwrap_or_default(),
    )?;
    tx.commit()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{number, temp_store};

    fn config(people: &str) -> Config {
        crate::config::testing::minimal_with(people)
    }

    const ANNA: &str = "[[specialists]]\nchat_id = 1\nname = \"Anna\"\n";
    const BORIS: &str = "[[specialists]]\nchat_id = 2\nname = \"Boris\"\n";

    /// The command lists queued: (kind, chat).
    fn queued(store: &Store) -> Vec<(String, Option<i64>)> {
        let conn = store.lock();
        let mut stmt = conn
            .prepare("SELECT method, params FROM outbox ORDER BY id")
            .unwrap();
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        rows.into_iter()
            .map(|(kind, params)| {
                let chat = match serde_json::from_str(&params).unwrap() {
                    Outgoing::Commands { chat, .. } => chat.map(|c| c.0),
                    Outgoing::ClearCommands { chat } => Some(chat),
                    other => panic!("not a command list: {other:?}"),
                };
                (kind, chat)
            })
            .collect()
    }

    #[test]
    fn only_the_lists_that_changed_are_queued_again() {
        let (_dir, store) = temp_store();
        let texts = config("").texts().unwrap();
        assert!(register(&store, &config(ANNA), &texts).unwrap());
        let first = queued(&store).len();
        // The customers' (in the desk's language and the other one) and Anna's.
        assert_eq!(first, 3, "{:?}", queued(&store));
        // The same roles: nothing.
        assert!(!register(&store, &config(ANNA), &texts).unwrap());
        // Boris added: his list only.
        assert!(register(&store, &config(&format!("{ANNA}{BORIS}")), &texts).unwrap());
        assert_eq!(queued(&store)[first..], [("commands".into(), Some(2))]);
        // Anna removed: her list is cleared, nobody else's is sent.
        assert!(register(&store, &config(BORIS), &texts).unwrap());
        assert_eq!(
            queued(&store)[first + 1..],
            [("clear_commands".into(), Some(1))]
        );
        let conn = store.lock();
        assert_eq!(number(&conn, "SELECT count(*) FROM outbox"), 5);
    }

    #[test]
    fn customers_get_a_menu_in_each_language_unless_texts_are_per_desk() {
        let lists = |extra: &str| {
            let config = config(&format!("{ANNA}[texts]\nlocale = \"en\"\n{extra}"));
            let (calls, _) = plan(&config, &config.texts().unwrap());
            calls
                .into_iter()
                .filter_map(|c| match c {
                    Outgoing::Commands {
                        chat: None,
                        language,
                        commands,
                    } => Some((language, commands[0].1.clone())),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        let both = lists("");
        assert_eq!(both.len(), 2, "{both:?}");
        assert_eq!(both[0].0, None);
        assert_eq!(both[1].0.as_deref(), Some("ru"));
        assert_ne!(both[0].1, both[1].1, "the Russian list is in Russian");
        assert_eq!(lists("per_customer = false").len(), 1);
    }
}
