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

/// Satisfaction surveys (SPEC §6.5).
#[derive(Clone, Debug, PartialEq)]
pub struct CsatPolicy {
    /// A survey follows every close by the specialist or by timeout.
    pub enabled: bool,
    /// After a rating, how long the customer's next text is its comment (and the
    /// rating may still be changed).
    pub comment_window: Duration,
}

impl Default for CsatPolicy {
    fn default() -> Self {
        CsatPolicy {
            enabled: true,
            comment_window: Duration::from_secs(600),
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
    pub csat: CsatPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            specialists: Vec::new(),
            service_groups: Vec::new(),
            controllers: Vec::new(),
            auth: AuthPolicy::default(),
            idle_close: Duration::from_secs(3600),
            csat: CsatPolicy::default(),
        }
    }
}

impl Policy {
    /// The time that counts between two moments (unix ms, `from` ≤ `to`): all of it
    /// (working hours, SPEC §6.2, narrow it to the time inside them). Never negative.
    pub fn counted_ms(&self, from: i64, to: i64) -> i64 {
        (to - from).max(0)
    }

    /// The moment at which `ms` of counted time will have passed since `from`.
    pub fn after_counted(&self, from: i64, ms: i64) -> i64 {
        from.saturating_add(ms.max(0))
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_working_hours_all_time_counts() {
        let p = Policy::default();
        assert_eq!(p.counted_ms(1_000, 61_000), 60_000);
        assert_eq!(p.counted_ms(61_000, 1_000), 0);
        assert_eq!(p.after_counted(1_000, 60_000), 61_000);
    }
}
