//! The configuration in force, as the workers read it: the [`Config`] with what the
//! core is given of it (its [`Policy`] and [`Texts`]), kept together as one
//! [`Rules`] and replaced whole on a reload (SPEC §9). A reader takes the current
//! `Arc<Rules>` once per action and decides everything with it, so each action is
//! decided against the old rules or the new ones, never a mix.

use std::ops::Deref;
use std::sync::Arc;

use crate::config::{Config, Problem};
use crate::domain::texts::Texts;
use crate::domain::{self, ChatId, Member, Policy, StaffId};

/// One configuration and what is derived from it.
#[derive(Debug)]
pub struct Rules {
    pub config: Arc<Config>,
    pub policy: Policy,
    pub texts: Texts,
}

impl Rules {
    /// The rules of `config`; its texts' problems (an override of no text) if any.
    pub fn new(config: Config) -> Result<Rules, Vec<Problem>> {
        let texts = config.texts()?;
        Ok(Rules {
            policy: policy(&config),
            config: Arc::new(config),
            texts,
        })
    }
}

/// The rules in force, shared by every worker; [`Live::replace`] swaps them at once
/// for all, and [`Live::watch`] tells the workers that plan ahead (the daily report).
#[derive(Clone, Debug)]
pub struct Live(Arc<tokio::sync::watch::Sender<Arc<Rules>>>);

impl Live {
    pub fn new(rules: Rules) -> Live {
        Live(Arc::new(tokio::sync::watch::Sender::new(Arc::new(rules))))
    }

    /// The rules of a configuration already checked (tests, tools).
    pub fn of(config: Config) -> Result<Live, Vec<Problem>> {
        Rules::new(config).map(Live::new)
    }

    /// The rules in force now: keep them for the whole of one action.
    pub fn get(&self) -> Arc<Rules> {
        self.0.borrow().clone()
    }

    /// The configuration in force now.
    pub fn config(&self) -> Arc<Config> {
        self.get().config.clone()
    }

    /// What the core knows of the staff now, as a `&Policy`.
    pub fn policy(&self) -> PolicyNow {
        PolicyNow(self.get())
    }

    /// Put `rules` in force; the ones they replace.
    pub fn replace(&self, rules: Rules) -> Arc<Rules> {
        self.0.send_replace(Arc::new(rules))
    }

    /// Changes whenever the rules are replaced.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<Arc<Rules>> {
        self.0.subscribe()
    }
}

/// The policy of one [`Rules`], held while it is read.
pub struct PolicyNow(Arc<Rules>);

impl Deref for PolicyNow {
    type Target = Policy;

    fn deref(&self) -> &Policy {
        &self.0.policy
    }
}

/// What the core needs of the configuration: the staff, the onboarding limits, the
/// timeouts and the working hours.
pub fn policy(config: &Config) -> Policy {
    let members = |people: &[crate::config::Person]| -> Vec<Member> {
        people
            .iter()
            .map(|p| Member {
                chat_id: StaffId(p.chat_id),
                name: p.name.clone(),
            })
            .collect()
    };
    Policy {
        specialists: members(&config.specialists),
        service_groups: config
            .service_groups
            .iter()
            .map(|g| ChatId(g.chat_id))
            .collect(),
        controllers: config
            .controllers
            .iter()
            .map(|c| StaffId(c.chat_id))
            .collect(),
        auth: domain::AuthPolicy {
            code_ttl: config.auth.code_ttl,
            max_attempts: config.auth.max_attempts,
            resend_cooldown: config.auth.resend_cooldown,
            max_codes_per_hour: config.auth.max_codes_per_hour,
            remind_after: config.auth.remind_after,
        },
        idle_close: config.timeouts.idle_close,
        daily_report_minute: config.reports.daily_minute(),
        hours: config.hours.working_hours(),
        zone: config.hours.zone(),
        close_warning: config.timeouts.close_warning,
        unassigned_steps: config.reminders.unassigned.clone(),
        unanswered_steps: config.reminders.unanswered.clone(),
        csat: domain::CsatPolicy {
            enabled: config.csat.enabled,
            comment_window: config.csat.comment_window,
        },
        departments: config
            .departments
            .iter()
            .map(|d| domain::Department {
                key: d.key.clone(),
                name: d.name.clone(),
                service_groups: d.service_groups.iter().map(|g| ChatId(*g)).collect(),
                specialists: d.specialists.iter().map(|s| StaffId(*s)).collect(),
            })
            .collect(),
        canned: config
            .canned
            .iter()
            .map(|c| domain::Canned {
                key: c.key.clone(),
                title: c.title.clone(),
                text: c.text.clone(),
            })
            .collect(),
        group_keys: group_keys(config),
    }
}

/// Where each service group's id is written in the configuration.
fn group_keys(config: &Config) -> Vec<(ChatId, String)> {
    let mut keys: Vec<(ChatId, String)> = config
        .service_groups
        .iter()
        .enumerate()
        .map(|(i, g)| (ChatId(g.chat_id), format!("service_groups[{i}].chat_id")))
        .collect();
    for (i, d) in config.departments.iter().enumerate() {
        for (j, g) in d.service_groups.iter().enumerate() {
            keys.push((ChatId(*g), format!("departments[{i}].service_groups[{j}]")));
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(staff: &str) -> Config {
        crate::config::testing::minimal_with(staff)
    }

    #[test]
    fn a_reader_keeps_the_rules_it_took_while_they_are_replaced() {
        let live = Live::of(config("[[specialists]]\nchat_id = 1\nname = \"A\"\n")).unwrap();
        let mut watch = live.watch();
        let before = live.policy();
        let old = live
            .replace(Rules::new(config("[[specialists]]\nchat_id = 2\nname = \"B\"\n")).unwrap());
        // The reader that started before still sees one whole configuration: the old.
        assert!(before.is_specialist(StaffId(1)) && !before.is_specialist(StaffId(2)));
        assert!(old.policy.is_specialist(StaffId(1)));
        // Every later reader, the new one.
        assert!(live.policy().is_specialist(StaffId(2)));
        assert!(!live.get().config.is_specialist(1));
        assert!(watch.has_changed().unwrap());
        watch.mark_unchanged();
        assert!(!watch.has_changed().unwrap());
    }
}
