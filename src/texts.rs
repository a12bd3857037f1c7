//! Every text the bot sends, in Russian and English, each overridable in `[texts]`.
//! Templates are HTML (Telegram's HTML parse mode) with `{placeholders}`; the values
//! put into them are escaped, so user-supplied text can never change the markup.

use std::collections::{BTreeMap, HashMap};

use crate::config::{Locale, Problem};

/// (key, Russian, English)
const DEFAULTS: &[(&str, &str, &str)] = &[
    (
        "greeting",
        "Здравствуйте, {name}! Это служба поддержки. Напишите ваш вопрос, и специалист ответит вам здесь.",
        "Hello, {name}! This is the support desk. Write your question and a specialist will answer you here.",
    ),
    (
        "unknown_command",
        "Эта команда мне неизвестна.",
        "I do not know this command.",
    ),
];

#[derive(Clone, Debug)]
pub struct Texts {
    map: HashMap<&'static str, String>,
}

impl Texts {
    /// The texts of `locale` with `overrides` applied; an override of a key that does
    /// not exist is a problem naming it.
    pub fn new(
        locale: Locale,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Texts, Vec<Problem>> {
        let mut map: HashMap<&'static str, String> = DEFAULTS
            .iter()
            .map(|(key, ru, en)| {
                let text = match locale {
                    Locale::Ru => ru,
                    Locale::En => en,
                };
                (*key, (*text).to_string())
            })
            .collect();
        let mut problems = Vec::new();
        for (key, value) in overrides {
            match DEFAULTS.iter().find(|(k, _, _)| k == key) {
                Some((k, _, _)) => {
                    map.insert(k, value.clone());
                }
                None => problems.push(Problem {
                    key: format!("texts.{key}"),
                    message: "unknown text key".to_string(),
                }),
            }
        }
        if problems.is_empty() {
            Ok(Texts { map })
        } else {
            Err(problems)
        }
    }

    /// The template of `key` with each `{name}` replaced by its HTML-escaped value.
    pub fn render(&self, key: &str, vars: &[(&str, &str)]) -> String {
        let mut text = self
            .map
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string());
        for (name, value) in vars {
            text = text.replace(&format!("{{{name}}}"), &escape_html(value));
        }
        text
    }
}

/// Escape text for Telegram's HTML parse mode (`&`, `<`, `>` and `"`).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html("<b>a & b</code>\""),
            "&lt;b&gt;a &amp; b&lt;/code&gt;&quot;"
        );
    }

    #[test]
    fn overrides_apply_and_unknown_keys_are_reported() {
        let mut o = BTreeMap::new();
        o.insert("greeting".to_string(), "Hi {name}".to_string());
        let t = Texts::new(Locale::En, &o).unwrap();
        assert_eq!(t.render("greeting", &[("name", "<x>")]), "Hi &lt;x&gt;");
        o.insert("nonsense".to_string(), "x".to_string());
        let problems = Texts::new(Locale::Ru, &o).unwrap_err();
        assert_eq!(problems[0].key, "texts.nonsense");
    }

    #[test]
    fn both_locales_have_every_text() {
        for (key, ru, en) in DEFAULTS {
            assert!(!ru.is_empty() && !en.is_empty(), "{key}");
        }
    }
}
