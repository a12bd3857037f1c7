//! Problems: what `check-config` prints, one line each, naming the key; and the
//! collector that gathers them while loading, with the tidying of the `config` crate's
//! and serde's messages into readable ones.

use std::fmt;

use config::{ConfigError, ValueKind};

/// One configuration problem, naming its key (`smtp.port`, `specialists[1].chat_id`)
/// or, for a file that cannot be read or parsed, the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Every problem found; `Display` prints one per line.
#[derive(Debug, thiserror::Error)]
#[error("{}", lines(&self.problems))]
pub struct ConfigErrors {
    pub problems: Vec<Problem>,
}

fn lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Problems found so far, in the order found.
#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<Problem>);

impl Problems {
    pub(super) fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem::new(key, message));
    }

    /// Whether `key` or a table holding it (`disk` for `disk.alert_to[0]`) already has
    /// a problem.
    pub(super) fn has(&self, key: &str) -> bool {
        self.0.iter().any(|p| {
            key.strip_prefix(p.key.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    }

    /// Push unless the key already has a problem (e.g. a type error).
    pub(super) fn check(&mut self, key: &str, ok: bool, message: impl FnOnce() -> String) {
        if !ok && !self.has(key) {
            self.push(key, message());
        }
    }

    pub(super) fn config_error(&mut self, prefix: &str, error: ConfigError) {
        let (suffix, message) = split_config_error(error);
        self.push(join_key(prefix, suffix.as_deref().unwrap_or("")), message);
    }
}

pub(super) fn join_key(prefix: &str, suffix: &str) -> String {
    if suffix.is_empty() {
        prefix.to_string()
    } else if prefix.is_empty() {
        suffix.to_string()
    } else if suffix.starts_with('[') {
        format!("{prefix}{suffix}")
    } else {
        format!("{prefix}.{suffix}")
    }
}

/// (the key path inside the deserialized value, a readable message)
pub(super) fn split_config_error(error: ConfigError) -> (Option<String>, String) {
    match error {
        ConfigError::Type {
            unexpected,
            expected,
            key,
            ..
        } => (key, type_message(&unexpected.to_string(), expected)),
        ConfigError::At { error, key, .. } => {
            let (inner, message) = split_config_error(*error);
            (key.or(inner), message)
        }
        ConfigError::NotFound(key) => (Some(key), "missing".to_string()),
        ConfigError::Message(message) => {
            // serde's own "invalid type: integer `5`, expected a sequence"
            let tidy = message
                .strip_prefix("invalid type: ")
                .and_then(|m| m.split_once(", expected "))
                .map(|(unexpected, expected)| type_message(unexpected, expected));
            (None, tidy.unwrap_or(message))
        }
        other => (None, other.to_string()),
    }
}

/// "expected a whole number from 0 to 65535, got \"abc\"" from the config crate's
/// `Unexpected` and `expected` texts.
fn type_message(unexpected: &str, expected: &str) -> String {
    let got = if let Some(s) = unexpected.strip_prefix("string ") {
        s.to_string()
    } else if let (Some(start), Some(end)) = (unexpected.find('`'), unexpected.rfind('`')) {
        // "64-bit integer `-5`", "floating point `1.5`", "boolean `true`"
        if start < end {
            unexpected[start + 1..end].to_string()
        } else {
            unexpected.to_string()
        }
    } else {
        match unexpected {
            "sequence" => "an array".to_string(),
            "map" => "a table".to_string(),
            "unit value" => "nothing".to_string(),
            other => other.to_string(),
        }
    };
    let want = match expected {
        "an unsigned 8 bit integer" => "a whole number from 0 to 255".to_string(),
        "an unsigned 16 bit integer" => "a whole number from 0 to 65535".to_string(),
        "an unsigned 32 bit integer" => "a whole number from 0 to 4294967295".to_string(),
        "an signed 32 bit integer" => "a whole number from -2147483648 to 2147483647".to_string(),
        e if e.contains("unsigned") => "a whole number, not negative".to_string(),
        e if e.contains("integer") => "a whole number".to_string(),
        "a floating point" => "a number".to_string(),
        "a boolean" => "true or false".to_string(),
        "a map" | "a map of strings" => "a table".to_string(),
        "a sequence" => "an array".to_string(),
        other => other.to_string(),
    };
    format!("expected {want}, got {got}")
}

pub(super) fn describe(kind: &ValueKind) -> String {
    match kind {
        ValueKind::Nil => "nothing".into(),
        ValueKind::Boolean(b) => b.to_string(),
        ValueKind::I64(i) => i.to_string(),
        ValueKind::I128(i) => i.to_string(),
        ValueKind::U64(i) => i.to_string(),
        ValueKind::U128(i) => i.to_string(),
        ValueKind::Float(f) => f.to_string(),
        ValueKind::String(s) => format!("{s:?}"),
        ValueKind::Table(_) => "a table".into(),
        ValueKind::Array(_) => "an array".into(),
    }
}

/// Relative path of an ignored (unknown) key, as `key`, `key.sub`, `key[2]`.
pub(super) fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    match path {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        P::Map { parent, key } => join_key(&ignored_path(parent), key),
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            ignored_path(parent)
        }
    }
}

pub(super) fn unknown_key_message(key: &str, known: &[&str], what: &str) -> String {
    match suggest(key, known) {
        Some(s) => format!("unknown {what} (did you mean \"{s}\"?)"),
        None => format!("unknown {what}"),
    }
}

/// The known name closest to `word`, if it is a plausible typo of it: at most two
/// edits away (Levenshtein, over characters), and at most half the longer one's length.
pub(crate) fn suggest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::levenshtein(&word, k), *k))
        .filter(|(d, k)| *d <= 2 && *d < k.len().max(word.len()) / 2 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_panics_on_odd_input() {
        assert_eq!(suggest("", &["a"]), None);
    }

    #[test]
    fn suggestions_are_close_typos() {
        let known = ["port", "host", "password", "timeout"];
        assert_eq!(suggest("prot", &known), Some("port"));
        assert_eq!(suggest("PORT", &known), Some("port"));
        assert_eq!(suggest("hots", &known), Some("host"));
        assert_eq!(suggest("pasword", &known), Some("password"));
        assert_eq!(suggest("time_out", &known), Some("timeout"));
        // too far, or too short to guess from
        assert_eq!(suggest("colour", &known), None);
        assert_eq!(suggest("pw", &known), None);
        assert_eq!(suggest("ab", &["xy"]), None);
    }
}
