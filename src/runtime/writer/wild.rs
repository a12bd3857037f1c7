//! Telegram in the wild (SPEC §10) as the writer sees it: the policy with the
//! groups that became supergroups under their new ids (read from the store before
//! every decision, so a move applies from the next decision on and after a
//! restart), and the log lines an admin must see.

use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tracing::{info, warn};

use crate::domain::{self, Action, ChatId, Policy};
use crate::error::Result;
use crate::runtime::live::Rules;
use crate::store;

/// Groups' moves, old id → new id.
type Moves = Vec<(ChatId, ChatId)>;

/// A policy built with moves, and the rules and moves it was built from.
struct Built {
    from: Arc<Rules>,
    moves: Moves,
    policy: Arc<Policy>,
}

/// The last policy built with moves.
#[derive(Default)]
pub(super) struct Moved {
    last: Mutex<Option<Built>>,
}

impl Moved {
    /// The policy to decide with: the policy of `rules` (the configuration in
    /// force), its service groups under the ids they have now; `None` when no
    /// group moved (then it is the rules' own).
    pub(super) fn current(
        &self,
        conn: &Connection,
        rules: &Arc<Rules>,
    ) -> Result<Option<Arc<Policy>>> {
        let moves = store::moves::all(conn)?;
        if moves.is_empty() {
            return Ok(None);
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(built) = last.as_ref()
            && Arc::ptr_eq(&built.from, rules)
            && built.moves == moves
        {
            return Ok(Some(built.policy.clone()));
        }
        let policy = Arc::new(rules.policy.with_moves(&moves));
        *last = Some(Built {
            from: rules.clone(),
            moves,
            policy: policy.clone(),
        });
        Ok(Some(policy))
    }
}

/// What the log says of a decision about Telegram in the wild: a group that moved
/// (and the configuration key to update), the bot removed from or added back to a
/// service group, a customer who blocked or unblocked the bot.
pub(super) fn log(event: &Action, decision: &domain::Decision, policy: &Policy) {
    for change in &decision.changes {
        match change {
            domain::Change::GroupMoved { from, to } => {
                let keys = policy.group_keys_of(*from).join(", ");
                warn!(
                    old = from.0,
                    new = to.0,
                    "groups: {} replaced {}: update {} in config.toml",
                    to.0,
                    from.0,
                    if keys.is_empty() {
                        "service_groups"
                    } else {
                        &keys
                    }
                );
            }
            domain::Change::MarkBlocked { customer } => {
                info!(customer = customer.0, "the customer blocked the bot");
            }
            domain::Change::MarkReachable { customer } => {
                info!(customer = customer.0, "the customer unblocked the bot");
            }
            _ => {}
        }
    }
    if let Action::Membership {
        chat,
        private: false,
        was_in,
        is_in,
    } = event
        && was_in != is_in
        && policy.is_service_group(*chat)
    {
        if *is_in {
            warn!(group = chat.0, "the bot was added back to a service group");
        } else {
            warn!(group = chat.0, "the bot was removed from a service group");
        }
    }
}
