//! Every text the bot sends, in Russian and English (the tables: `texts_table.rs`,
//! `texts_toolbox.rs`, `texts_wild.rs`), each overridable in `[texts]`.
//! Templates are HTML (Telegram's HTML parse mode) with `{placeholders}`; the values
//! put into them are escaped, so user-supplied text can never change the markup.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::fmt;

/// Language of the bot's texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Ru,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Ru => "ru",
            Locale::En => "en",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Locale {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Locale, D::Error> {
        let s = String::deserialize(deserializer)?;
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" => Ok(Locale::Ru),
            "en" => Ok(Locale::En),
            _ => Err(D::Error::custom(format!(
                "expected \"ru\" or \"en\", got {s:?}"
            ))),
        }
    }
}

/// Every text: `texts_table.rs`, `texts_toolbox.rs` and those of Telegram in the wild
/// (`texts_wild.rs`, SPEC §10).
fn all() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    super::texts_table::DEFAULTS
        .iter()
        .chain(super::texts_toolbox::TOOLBOX)
        .chain(super::texts_wild::WILD)
}

/// The texts of one locale, overrides applied.
#[derive(Clone, Debug)]
pub struct Lang {
    locale: Locale,
    map: HashMap<&'static str, String>,
}

impl Lang {
    fn defaults(locale: Locale) -> Lang {
        let map = all()
            .map(|(key, ru, en)| {
                let text = match locale {
                    Locale::Ru => ru,
                    Locale::En => en,
                };
                (*key, (*text).to_string())
            })
            .collect();
        Lang { locale, map }
    }

    /// Apply `overrides`; the keys that name no text are pushed to `problems`
    /// (after `prefix`).
    fn apply(
        &mut self,
        overrides: &BTreeMap<String, String>,
        prefix: &str,
        problems: &mut Vec<String>,
    ) {
        for (key, value) in overrides {
            match all().find(|(k, _, _)| k == key) {
                Some((k, _, _)) => {
                    self.map.insert(k, value.clone());
                }
                None => problems.push(format!("{prefix}{key}")),
            }
        }
    }

    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// An HTML template with each `{name}` replaced by its HTML-escaped value.
    pub fn render(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.fill(key, vars, escape_html)
    }

    /// An HTML template whose values are HTML already (built and escaped by the
    /// caller).
    pub fn render_html(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.fill(key, vars, str::to_string)
    }

    /// A plain-text template (emails, button labels, popup answers) with values as
    /// they are.
    pub fn render_plain(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.fill(key, vars, str::to_string)
    }

    fn fill(&self, key: &str, vars: &[(&str, &str)], value: impl Fn(&str) -> String) -> String {
        let template = self.map.get(key).map(String::as_str).unwrap_or(key);
        // One pass over the template, so a value containing `{x}` is never filled.
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let filled = after.find('}').and_then(|close| {
                let name = &after[..close];
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (value(v), close))
            });
            match filled {
                Some((v, close)) => {
                    out.push_str(&v);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// The overrides of `[texts]`: plain keys apply to `texts.locale`, `[texts.ru]` and
/// `[texts.en]` to that locale (after the plain ones).
#[derive(Clone, Copy, Debug, Default)]
pub struct Overrides<'a> {
    pub plain: Option<&'a BTreeMap<String, String>>,
    pub ru: Option<&'a BTreeMap<String, String>>,
    pub en: Option<&'a BTreeMap<String, String>>,
}

/// Both locales' texts: the staff's (`texts.locale`, also for transcripts and
/// emails) and, with `per_customer`, each customer's by their Telegram language
/// (SPEC §9). `render` speaks the staff's locale; [`Texts::for_language`] gives a
/// customer's.
#[derive(Clone, Debug)]
pub struct Texts {
    staff: Locale,
    per_customer: bool,
    ru: Arc<Lang>,
    en: Arc<Lang>,
}

impl Texts {
    /// The texts of `locale` with `overrides` applied, customers answered in their
    /// language; the keys of overrides that name no text are refused.
    pub fn new(locale: Locale, overrides: &BTreeMap<String, String>) -> Result<Texts, Vec<String>> {
        let o = Overrides {
            plain: Some(overrides),
            ..Overrides::default()
        };
        Texts::configured(locale, true, o)
    }

    /// The texts of `locale` as they come, with no overrides.
    pub fn defaults(locale: Locale) -> Texts {
        Texts {
            staff: locale,
            per_customer: true,
            ru: Arc::new(Lang::defaults(Locale::Ru)),
            en: Arc::new(Lang::defaults(Locale::En)),
        }
    }

    /// The texts as `[texts]` configures them: the problems are the unknown keys,
    /// those of `[texts.ru]` / `[texts.en]` after `ru.` / `en.`.
    pub fn configured(
        locale: Locale,
        per_customer: bool,
        overrides: Overrides<'_>,
    ) -> Result<Texts, Vec<String>> {
        let mut problems = Vec::new();
        let mut ru = Lang::defaults(Locale::Ru);
        let mut en = Lang::defaults(Locale::En);
        if let Some(plain) = overrides.plain {
            let own = match locale {
                Locale::Ru => &mut ru,
                Locale::En => &mut en,
            };
            own.apply(plain, "", &mut problems);
        }
        if let Some(o) = overrides.ru {
            ru.apply(o, "ru.", &mut problems);
        }
        if let Some(o) = overrides.en {
            en.apply(o, "en.", &mut problems);
        }
        if problems.is_empty() {
            Ok(Texts {
                staff: locale,
                per_customer,
                ru: Arc::new(ru),
                en: Arc::new(en),
            })
        } else {
            Err(problems)
        }
    }

    /// `texts.locale`.
    pub fn locale(&self) -> Locale {
        self.staff
    }

    fn of(&self, locale: Locale) -> &Lang {
        match locale {
            Locale::Ru => &self.ru,
            Locale::En => &self.en,
        }
    }

    /// The staff's texts (also transcripts and emails).
    pub fn staff(&self) -> &Lang {
        self.of(self.staff)
    }

    /// The texts for someone whose Telegram `language_code` is `code`: "ru…" is
    /// Russian, "en…" English, anything else (or `per_customer = false`) the
    /// staff's locale.
    pub fn for_language(&self, code: Option<&str>) -> &Lang {
        if !self.per_customer {
            return self.staff();
        }
        match code.map(|c| c.trim().to_ascii_lowercase()) {
            Some(c) if c.starts_with("ru") => &self.ru,
            Some(c) if c.starts_with("en") => &self.en,
            _ => self.staff(),
        }
    }

    /// [`Lang::render`] in the staff's locale.
    pub fn render(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.staff().render(key, vars)
    }

    /// [`Lang::render_html`] in the staff's locale.
    pub fn render_html(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.staff().render_html(key, vars)
    }

    /// [`Lang::render_plain`] in the staff's locale.
    pub fn render_plain(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.staff().render_plain(key, vars)
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
        assert_eq!(problems, vec!["nonsense".to_string()]);
    }

    #[test]
    fn customers_get_their_language_and_overrides_their_locale() {
        let plain = BTreeMap::from([("ask_email".to_string(), "RU plain".to_string())]);
        let en = BTreeMap::from([("ask_email".to_string(), "EN own".to_string())]);
        let o = Overrides {
            plain: Some(&plain),
            en: Some(&en),
            ..Overrides::default()
        };
        let t = Texts::configured(Locale::Ru, true, o).unwrap();
        assert_eq!(t.render("ask_email", &[]), "RU plain");
        assert_eq!(
            t.for_language(Some("en-US")).render("ask_email", &[]),
            "EN own"
        );
        assert_eq!(
            t.for_language(Some("ru")).render("ask_email", &[]),
            "RU plain"
        );
        assert_eq!(t.for_language(Some("de")).locale(), Locale::Ru);
        assert_eq!(t.for_language(None).locale(), Locale::Ru);
        let off = Texts::configured(Locale::Ru, false, o).unwrap();
        assert_eq!(off.for_language(Some("en")).locale(), Locale::Ru);
        let bad = BTreeMap::from([("nonsense".to_string(), "x".to_string())]);
        let o = Overrides {
            ru: Some(&bad),
            ..Overrides::default()
        };
        assert_eq!(
            Texts::configured(Locale::En, true, o).unwrap_err(),
            vec!["ru.nonsense".to_string()]
        );
    }

    #[test]
    fn both_locales_have_every_text() {
        for (key, ru, en) in all() {
            assert!(!ru.is_empty() && !en.is_empty(), "{key}");
        }
    }
}
