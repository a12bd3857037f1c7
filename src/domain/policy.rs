//! What the core needs to know of the configuration: who is who, the onboarding
//! limits and the timeouts. Built once from the configuration by the shell; the
//! core never sees the rest of it (addresses, tokens, passwords).

use std::time::Duration;

use chrono_tz::Tz;

use super::hours::{self, WorkingHours};
use super::ids::{ChatId, StaffId};

/// A member of the staff.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// Their user id (also their private chat with the bot).
    pub chat_id: StaffId,
    pub name: String,
}

/// A department (SPEC §7.2): its own groups, specialists and queue.
#[derive(Clone, Debug, PartialEq)]
pub struct Department {
    /// The key stored with its communications (`a-z 0-9 _ -`).
    pub key: String,
    /// Shown to customers on the topic buttons.
    pub name: String,
    pub service_groups: Vec<ChatId>,
    pub specialists: Vec<StaffId>,
}

/// A canned answer (SPEC §7.4): configured, or kept in the database.
#[derive(Clone, Debug, PartialEq)]
pub struct Canned {
    pub key: String,
    pub title: String,
    /// Plain text with `{customer}`, `{specialist}` and `{request}`.
    pub text: String,
}

/// The onboarding limits (SPEC §1.1).
#[derive(Clone, Debug, PartialEq)]
pub struct AuthPolicy {
    pub code_ttl: Duration,
    pub max_attempts: u32,
    pub resend_cooldown: Duration,
    pub max_codes_per_hour: u32,
    /// One reminder to a customer silent this long while asked for their email or
    /// code (SPEC §9); zero: none.
    pub remind_after: Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            code_ttl: Duration::from_secs(600),
            max_attempts: 5,
            resend_cooldown: Duration::from_secs(60),
            max_codes_per_hour: 5,
            remind_after: Duration::from_secs(24 * 3600),
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
    /// The daily team report to the controllers, in minutes after midnight.
    pub daily_report_minute: Option<u32>,
    /// Working hours (SPEC §6.2): when set, only the time inside them counts.
    pub hours: Option<WorkingHours>,
    /// The zone of stats days (`hours.time_zone`, UTC when unset).
    pub zone: Tz,
    /// This long before a timeout close the customer is warned (zero: never).
    pub close_warning: Duration,
    /// The reminder steps of a communication waiting for a Take (increasing; empty:
    /// none), SPEC §6.3.
    pub unassigned_steps: Vec<Duration>,
    /// The reminder steps of a customer's message waiting for an answer.
    pub unanswered_steps: Vec<Duration>,
    pub csat: CsatPolicy,
    /// Departments in configuration order (numbered from 1 for the typed choice);
    /// fewer than two: one desk, no choice for the customer.
    pub departments: Vec<Department>,
    /// The configured canned answers (the database may hold more).
    pub canned: Vec<Canned>,
    /// Where each service group's id is written in the configuration (e.g.
    /// `service_groups[1].chat_id`), to tell the admin what to update when a group
    /// moves (SPEC §10).
    pub group_keys: Vec<(ChatId, String)>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            specialists: Vec::new(),
            service_groups: Vec::new(),
            controllers: Vec::new(),
            auth: AuthPolicy::default(),
            idle_close: Duration::from_secs(3600),
            daily_report_minute: None,
            hours: None,
            zone: Tz::UTC,
            close_warning: Duration::ZERO,
            unassigned_steps: Vec::new(),
            unanswered_steps: Vec::new(),
            csat: CsatPolicy::default(),
            departments: Vec::new(),
            canned: Vec::new(),
            group_keys: Vec::new(),
        }
    }
}

impl Policy {
    /// The time that counts between two moments (unix ms, `from` ≤ `to`): all of it,
    /// or with working hours (SPEC §6.2) the time inside them. Never negative.
    pub fn counted_ms(&self, from: i64, to: i64) -> i64 {
        match &self.hours {
            Some(h) => h.counted_ms(from, to),
            None => to.saturating_sub(from).max(0),
        }
    }

    /// The moment at which `ms` of counted time will have passed since `from`; with
    /// working hours that never open, [`hours::NEVER`].
    pub fn after_counted(&self, from: i64, ms: i64) -> i64 {
        match &self.hours {
            Some(h) => h.after_counted(from, ms),
            None => from.saturating_add(ms.max(0)),
        }
    }

    /// Whether the desk is within working hours at `at` (always, without them).
    pub fn is_open(&self, at: i64) -> bool {
        self.hours.as_ref().is_none_or(|h| h.is_open(at))
    }

    /// The start of the stats day of `at` (a calendar day in [`zone`](Self::zone)).
    pub fn day_start(&self, at: i64) -> i64 {
        hours::day_start(self.zone, at)
    }

    /// "2026-12-01": the calendar day of `at` in [`zone`](Self::zone).
    pub fn date(&self, at: i64) -> String {
        use chrono::TimeZone;
        self.zone
            .timestamp_millis_opt(at)
            .single()
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }

    /// A specialist or a controller.
    pub fn is_staff(&self, id: StaffId) -> bool {
        self.is_specialist(id) || self.is_controller(id)
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

    /// Whether `chat` is a service group (of the desk or of a department).
    pub fn is_service_group(&self, chat: ChatId) -> bool {
        self.service_groups.contains(&chat)
            || self
                .departments
                .iter()
                .any(|d| d.service_groups.contains(&chat))
    }

    /// The configuration keys that hold the id of service group `chat`.
    pub fn group_keys_of(&self, chat: ChatId) -> Vec<&str> {
        self.group_keys
            .iter()
            .filter(|(c, _)| *c == chat)
            .map(|(_, k)| k.as_str())
            .collect()
    }

    /// This policy with the groups that became supergroups under their new ids
    /// (`moves`: old id → new id, SPEC §10), wherever a group's id is used.
    pub fn with_moves(&self, moves: &[(ChatId, ChatId)]) -> Policy {
        let now_at = |mut chat: ChatId| {
            // A group may move more than once; a cycle cannot go on for ever.
            for _ in 0..=moves.len() {
                match moves.iter().find(|(old, _)| *old == chat) {
                    Some((_, new)) => chat = *new,
                    None => break,
                }
            }
            chat
        };
        let mut moved = self.clone();
        for chat in moved
            .service_groups
            .iter_mut()
            .chain(
                moved
                    .departments
                    .iter_mut()
                    .flat_map(|d| d.service_groups.iter_mut()),
            )
            .chain(moved.group_keys.iter_mut().map(|(c, _)| c))
        {
            *chat = now_at(*chat);
        }
        moved
    }

    /// Whether customers choose a department (two or more are configured).
    pub fn has_departments(&self) -> bool {
        self.departments.len() >= 2
    }

    /// The department of this key (none without departments, or for `""`).
    pub fn department(&self, key: &str) -> Option<&Department> {
        if !self.has_departments() {
            return None;
        }
        self.departments.iter().find(|d| d.key == key)
    }

    /// The service groups of a department's communication: its own, or all of them
    /// without departments (or for a department no longer configured).
    pub fn groups_of(&self, department: &str) -> Vec<ChatId> {
        match self.department(department) {
            Some(d) => d.service_groups.clone(),
            None => self.service_groups.clone(),
        }
    }

    /// Who is told about a communication of `department`: its groups and every
    /// controller (controllers see all departments).
    pub fn watchers_of(&self, department: &str) -> Vec<ChatId> {
        let mut chats = self.groups_of(department);
        chats.extend(self.controllers.iter().map(|c| c.chat()));
        chats
    }

    /// Whether `who` may take a communication of `department`.
    pub fn may_take(&self, who: StaffId, department: &str) -> bool {
        self.is_specialist(who)
            && self
                .department(department)
                .is_none_or(|d| d.specialists.contains(&who))
    }

    /// The departments a specialist belongs to (all of them without departments:
    /// `None`).
    pub fn departments_of(&self, who: StaffId) -> Option<Vec<String>> {
        self.has_departments().then(|| {
            self.departments
                .iter()
                .filter(|d| d.specialists.contains(&who))
                .map(|d| d.key.clone())
                .collect()
        })
    }

    /// The canned answers: the configured ones, then those of the database whose key
    /// the configuration does not use (a key in the configuration wins).
    pub fn canned_with(&self, stored: &[Canned]) -> Vec<Canned> {
        let mut all = self.canned.clone();
        for c in stored {
            if !all.iter().any(|a| a.key == c.key) {
                all.push(c.clone());
            }
        }
        all
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
        assert!(p.is_open(0));
        assert_eq!(p.day_start(86_400_000 + 5), 86_400_000);
    }

    #[test]
    fn working_hours_narrow_the_counted_time() {
        // 1970-01-01 was a Thursday; open Thursdays 01:00-02:00 UTC.
        let mut h = WorkingHours::closed(Tz::UTC);
        h.days[3] = hours::parse_range("01:00-02:00").unwrap();
        let p = Policy {
            hours: Some(h),
            ..Policy::default()
        };
        const H: i64 = 3_600_000;
        assert_eq!(p.counted_ms(0, 24 * H), H);
        assert_eq!(p.after_counted(0, 30 * 60_000), H + 30 * 60_000);
        assert_eq!(p.after_counted(2 * H, H), 7 * 24 * H + 2 * H);
        assert!(!p.is_open(0));
        assert!(p.is_open(H));
    }
}
