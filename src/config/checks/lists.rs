//! The checks of the configuration's lists: the members of `[[specialists]]`,
//! `[[service_groups]]` and `[[controllers]]`, the keys of `[[departments]]` and
//! `[[canned]]`, and what each department and canned answer holds.

use std::collections::HashMap;

use crate::config::problems::{self, Problems};
use crate::config::types::{CannedConfig, Config, DepartmentConfig};

/// `sign` is 1 for users (positive ids), -1 for groups (negative ids). Checks ids,
/// names and duplicates; returns the entries.
pub(in crate::config) fn check_members<T>(
    items: Vec<(usize, T)>,
    list: &str,
    sign: i64,
    fields: impl Fn(&T) -> (i64, &String),
    p: &mut Problems,
) -> Vec<T> {
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for (i, item) in &items {
        let (chat_id, name) = fields(item);
        let id_key = format!("{list}[{i}].chat_id");
        let name_key = format!("{list}[{i}].name");
        if sign > 0 {
            p.check(&id_key, chat_id > 0, || {
                format!("must be a positive user id, got {chat_id}")
            });
        } else {
            p.check(&id_key, chat_id < 0, || {
                format!("must be a negative group id (like -1001234567890), got {chat_id}")
            });
        }
        p.check(&name_key, !name.trim().is_empty(), || {
            "must not be empty".into()
        });
        if !p.has(&id_key) {
            match seen.get(&chat_id) {
                Some(first) => p.push(
                    id_key,
                    format!("{chat_id} is already used by {list}[{first}]"),
                ),
                None => {
                    seen.insert(chat_id, *i);
                }
            }
        }
    }
    items.into_iter().map(|(_, item)| item).collect()
}

/// A key of a department or a canned answer: `a-z 0-9 _ -`, 1 to 32 characters.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("must not be empty".into());
    }
    if key.len() > 32 {
        return Err(format!("must be at most 32 characters, got {}", key.len()));
    }
    match key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        Some(c) => Err(format!(
            "may hold only a-z, 0-9, _ and -, got {c:?} in {key:?}"
        )),
        None => Ok(()),
    }
}

/// Unique keys, in the format of [`check_key`].
fn check_keys<'a>(keys: impl Iterator<Item = (usize, &'a str)>, list: &str, p: &mut Problems) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, key) in keys {
        let k = format!("{list}[{i}].key");
        if let Err(e) = check_key(key) {
            p.push(k, e);
            continue;
        }
        match seen.get(key) {
            Some(first) => p.push(k, format!("{key:?} is already used by {list}[{first}]")),
            None => {
                seen.insert(key, i);
            }
        }
    }
}

/// `[[departments]]` (SPEC §7.2): keys, names, and chat ids that are listed in
/// `[[service_groups]]` and `[[specialists]]`.
pub(in crate::config) fn check_departments(
    items: Vec<(usize, DepartmentConfig)>,
    config: &Config,
    p: &mut Problems,
) -> Vec<DepartmentConfig> {
    check_keys(
        items.iter().map(|(i, d)| (*i, d.key.as_str())),
        "departments",
        p,
    );
    for (i, d) in &items {
        p.check(
            &format!("departments[{i}].name"),
            !d.name.trim().is_empty(),
            || "must not be empty".into(),
        );
        let groups = config.service_groups.iter().map(|g| g.chat_id);
        references(p, *i, "service_groups", &d.service_groups, groups, "group");
        let people = config.specialists.iter().map(|s| s.chat_id);
        references(p, *i, "specialists", &d.specialists, people, "specialist");
    }
    items.into_iter().map(|(_, d)| d).collect()
}

/// `departments[i].<list>`: at least one id, each listed in `[[<list>]]`.
fn references(
    p: &mut Problems,
    i: usize,
    list: &str,
    ids: &[i64],
    listed: impl Iterator<Item = i64> + Clone,
    what: &str,
) {
    let key = format!("departments[{i}].{list}");
    p.check(&key, !ids.is_empty(), || {
        format!("must name at least one {what} of [[{list}]]")
    });
    for (j, id) in ids.iter().enumerate() {
        p.check(
            &format!("{key}[{j}]"),
            listed.clone().any(|known| known == *id),
            || format!("{id} is not listed in [[{list}]]"),
        );
    }
}

/// The placeholders a canned answer may use.
pub const CANNED_PLACEHOLDERS: [&str; 3] = ["customer", "specialist", "request"];

/// A canned answer's text: every `{name}` one of [`CANNED_PLACEHOLDERS`].
pub fn check_canned_text(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("must not be empty".into());
    }
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            break;
        };
        let name = &after[..end];
        if !CANNED_PLACEHOLDERS.contains(&name) {
            let hint = problems::suggest(name, &CANNED_PLACEHOLDERS)
                .map(|c| format!(" (did you mean {{{c}}}?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown placeholder {{{name}}}{hint}: use {{customer}}, {{specialist}} or {{request}}"
            ));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

/// `[[canned]]` (SPEC §7.4): keys, titles and texts.
pub(in crate::config) fn check_canned(
    items: Vec<(usize, CannedConfig)>,
    p: &mut Problems,
) -> Vec<CannedConfig> {
    check_keys(items.iter().map(|(i, c)| (*i, c.key.as_str())), "canned", p);
    for (i, c) in &items {
        p.check(
            &format!("canned[{i}].title"),
            !c.title.trim().is_empty(),
            || "must not be empty".into(),
        );
        if let Err(e) = check_canned_text(&c.text) {
            p.push(format!("canned[{i}].text"), e);
        }
    }
    items.into_iter().map(|(_, c)| c).collect()
}
