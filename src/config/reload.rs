//! What a reload (SIGHUP, SPEC §9) takes from a new configuration: the staff,
//! groups, departments, canned answers, texts, working hours and reminders. Every
//! other section needs a restart: its keys that differ from the running ones are
//! named, and the running values stay.

use serde_json::Value;

use super::types::Config;

/// The sections a reload replaces, as the file names them.
pub const RELOADED: &[&str] = &[
    "specialists",
    "service_groups",
    "controllers",
    "departments",
    "canned",
    "texts",
    "hours",
    "reminders",
];

/// The configuration to run with after a reload: `new`'s reloaded sections, the
/// running one's everything else.
pub fn reloaded(running: &Config, new: Config) -> Config {
    // Every section is named: one added to `Config` must be sorted here, as
    // reloaded (taken from `new`) or as kept (`_`: the running value stays).
    let Config {
        specialists,
        service_groups,
        controllers,
        departments,
        canned,
        texts,
        hours,
        reminders,
        telegram: _,
        webhook: _,
        database: _,
        archive: _,
        smtp: _,
        auth: _,
        timeouts: _,
        reports: _,
        csat: _,
        disk: _,
        limits: _,
        log: _,
        admin: _,
        console: _,
        retention: _,
    } = new;
    let mut kept = running.clone();
    kept.specialists = specialists;
    kept.service_groups = service_groups;
    kept.controllers = controllers;
    kept.departments = departments;
    kept.canned = canned;
    kept.texts = texts;
    kept.hours = hours;
    kept.reminders = reminders;
    kept
}

/// The sections a reload does not apply, by name, serialized (secrets as
/// fingerprints).
fn restart_only(c: &Config) -> Vec<(&'static str, Value)> {
    fn v<T: serde::Serialize>(section: &T) -> Value {
        serde_json::to_value(section).unwrap_or(Value::Null)
    }
    vec![
        ("telegram", v(&c.telegram)),
        ("webhook", v(&c.webhook)),
        ("database", v(&c.database)),
        ("archive", v(&c.archive)),
        ("smtp", v(&c.smtp)),
        ("auth", v(&c.auth)),
        ("timeouts", v(&c.timeouts)),
        ("reports", v(&c.reports)),
        ("csat", v(&c.csat)),
        ("disk", v(&c.disk)),
        ("limits", v(&c.limits)),
        ("log", v(&c.log)),
        ("admin", v(&c.admin)),
        ("console", v(&c.console)),
        ("retention", v(&c.retention)),
    ]
}

/// The keys (`section.key`) whose value in `new` differs from the running one and
/// that a reload does not apply, in the order of the file's sections.
pub fn needs_restart(running: &Config, new: &Config) -> Vec<String> {
    let mut keys = Vec::new();
    for ((section, old), (_, new)) in restart_only(running).into_iter().zip(restart_only(new)) {
        match (old, new) {
            (Value::Object(old), Value::Object(new)) => {
                for (key, value) in &new {
                    if old.get(key) != Some(value) {
                        keys.push(format!("{section}.{key}"));
                    }
                }
            }
            (old, new) if old != new => keys.push(section.to_string()),
            _ => {}
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keys::fields;
    use crate::config::testing::*;

    #[test]
    fn every_section_is_either_reloaded_or_needs_a_restart() {
        let c = load_ok(EXAMPLE);
        let mut sorted: Vec<&str> = RELOADED.to_vec();
        sorted.extend(restart_only(&c).iter().map(|(name, _)| *name));
        let mut all = fields::<Config>().to_vec();
        sorted.sort_unstable();
        all.sort_unstable();
        assert_eq!(sorted, all);
    }

    #[test]
    fn a_reload_takes_the_staff_and_names_what_needs_a_restart() {
        let running = load_ok(MINIMAL);
        let new = load_ok(&format!(
            "{}\n[webhook]\nlisten = \"127.0.0.1:9999\"\n[console]\nlisten = \"127.0.0.1:8080\"\n\
             [reminders]\nunassigned = [\"5m\"]\n[[specialists]]\nchat_id = 7\nname = \"New\"\n",
            MINIMAL.replace("ABC-def_ghi", "ABC-other")
        ));
        assert_eq!(
            needs_restart(&running, &new),
            ["telegram.token", "webhook.listen", "console.listen"]
        );
        assert!(needs_restart(&running, &running.clone()).is_empty());
        let applied = reloaded(&running, new.clone());
        assert!(applied.is_specialist(7));
        assert_eq!(applied.reminders.unassigned, new.reminders.unassigned);
        // What needs a restart keeps its running value, the token too.
        assert!(needs_restart(&running, &applied).is_empty());
        assert_eq!(applied.webhook.listen, running.webhook.listen);
        assert_eq!(
            applied.telegram.token.expose(),
            running.telegram.token.expose()
        );
    }

    #[test]
    fn secrets_are_compared_by_fingerprint_only() {
        let running = load_ok(MINIMAL);
        let dump = serde_json::to_string(&restart_only(&running)).unwrap();
        assert!(!dump.contains("ABC-def_ghi"), "{dump}");
        assert!(dump.contains("sha256:"), "{dump}");
    }
}
