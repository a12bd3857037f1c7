//! The command lists Telegram shows each role (`setMyCommands`): customers get the
//! default scope, each specialist and controller a chat scope of their own. Sent at
//! start through the outbox, only when the roles or texts changed; chats that lost
//! their role get their list removed.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::config::Config;
use crate::domain::texts::Texts;
use crate::error::Result;
use crate::store::{self, Store};
use crate::telegram::Call;

const CUSTOMER: &[&str] = &["start", "service"];
const SPECIALIST: &[&str] = &[
    "service",
    "current",
    "close",
    "release",
    "unassigned",
    "users",
    "history",
];
const CONTROLLER: &[&str] = &["start"];

const SIGNATURE_KEY: &str = "commands_signature";
const CHATS_KEY: &str = "commands_chats";

fn list(names: &[&str], texts: &Texts) -> Value {
    Value::Array(
        names
            .iter()
            .map(|n| json!({ "command": n, "description": texts.render_plain(&format!("cmd_{n}"), &[]) }))
            .collect(),
    )
}

/// The calls that give every role its list.
pub fn plan(config: &Config, texts: &Texts) -> (Vec<Call>, BTreeSet<i64>) {
    let mut calls = vec![Call::new(
        "setMyCommands",
        None,
        json!({ "commands": list(CUSTOMER, texts), "scope": { "type": "default" } }),
    )];
    let mut chats = BTreeSet::new();
    for s in &config.specialists {
        chats.insert(s.chat_id);
        calls.push(Call::new(
            "setMyCommands",
            None,
            json!({ "commands": list(SPECIALIST, texts), "scope": { "type": "chat", "chat_id": s.chat_id } }),
        ));
    }
    for c in config
        .controllers
        .iter()
        .filter(|c| !config.is_specialist(c.chat_id))
    {
        chats.insert(c.chat_id);
        calls.push(Call::new(
            "setMyCommands",
            None,
            json!({ "commands": list(CONTROLLER, texts), "scope": { "type": "chat", "chat_id": c.chat_id } }),
        ));
    }
    (calls, chats)
}

/// Queue the command lists if they differ from the last ones sent.
pub fn register(store: &Store, config: &Config, texts: &Texts) -> Result<bool> {
    let (calls, chats) = plan(config, texts);
    let signature = serde_json::to_string(&calls.iter().map(|c| &c.params).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut conn = store.lock();
    let tx = conn.transaction()?;
    if store::meta_get(&tx, SIGNATURE_KEY)?.as_deref() == Some(signature.as_str()) {
        return Ok(false);
    }
    let previous: BTreeSet<i64> = store::meta_get(&tx, CHATS_KEY)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let now = crate::now_ms();
    for call in &calls {
        store::outbox::enqueue(&tx, call, now)?;
    }
    for gone in previous.difference(&chats) {
        store::outbox::enqueue(
            &tx,
            &Call::new(
                "deleteMyCommands",
                None,
                json!({ "scope": { "type": "chat", "chat_id": gone } }),
            ),
            now,
        )?;
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
