//! What the core needs to know of the configuration: who is who, the onboarding
//! limits and the timeouts. Built once from the configuration by the shell; the
//! core never sees the rest of it (addresses, tokens, passwords).

use std::time::Duration;

use super::ids::{ChatId, StaffId};

/// A member of the staff.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// Their user id (also their private chat with the bot).
    pub chat_id: StaffId,
    pub name: String,
}

/// The onboarding limits (SPEC §1.1).
#[derive(Clone, Debug, PartialEq)]
pub struct AuthPolicy {
    pub code_ttl: Duration,
    pub max_attempts: u32,
    pub resend_cooldown: Duration,
    pub max_codes_per_hour: u32,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            code_ttl: Duration::from_secs(600),
            max_attempts: 5,
            resend_cooldown: Duration::from_secs(60),
            max_codes_per_hour: 5,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub specialists: Vec<Member>,
    pub service_groups: Vec<ChatId>,
    pub controllers: Vec<StaffId>,
    pub auth: AuthPolicy,
    /// An assigned communication whose last word is the specialist's closes after
    /// this long without an answer.
    pub idle_close: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            specialists: Vec::new(),
            service_groups: Vec::new(),
            controllers: Vec::new(),
            auth: AuthPolicy::default(),
            idle_close: Duration::from_secs(3600),
        }
    }
}

impl Policy {
    pub fn is_specialist(&self, id: StaffId) -> bool {
        self.specialists.iter().any(|s| s.chat_id == id)
    }

    pub fn is_controller(&self, id: StaffId) -> bool {
        self.controllers.contains(&id)
    }

    /// The display name of a specialist (their id if they are no longer listed).
    pub fn specialist_name(&self, id: StaffId) -> String {
        self.specialists
            .iter()
            .find(|s| s.chat_id == id)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// Service groups and controllers: everyone who is told about the desk.
    pub fn watchers(&self) -> Vec<ChatId> {
        self.service_groups
            .iter()
            .copied()
            .chain(self.controllers.iter().map(|c| c.chat()))
            .collect()
    }
}
