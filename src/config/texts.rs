//! `[texts]`: the locale, whether customers get their own language, and the text
//! overrides (SPEC §9).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

pub use crate::domain::texts::Locale;

/// `[texts]`: `locale`, `per_customer`, any number of text overrides
/// (`name = "text"`, for `locale`), and `[texts.ru]` / `[texts.en]` tables of
/// overrides for that locale alone; their names are checked by the texts module.
#[derive(Clone, Debug, PartialEq)]
pub struct TextsConfig {
    pub locale: Locale,
    /// Answer each customer in their Telegram language (ru or en).
    pub per_customer: bool,
    /// Overrides of `locale`'s texts.
    pub overrides: BTreeMap<String, String>,
    /// `[texts.ru]`: overrides of the Russian texts.
    pub ru: BTreeMap<String, String>,
    /// `[texts.en]`: overrides of the English texts.
    pub en: BTreeMap<String, String>,
}

impl Default for TextsConfig {
    fn default() -> Self {
        TextsConfig {
            locale: Locale::default(),
            per_customer: true,
            overrides: BTreeMap::new(),
            ru: BTreeMap::new(),
            en: BTreeMap::new(),
        }
    }
}

impl TextsConfig {
    /// The fixed keys of `[texts]`; every other key is a text override.
    pub(super) const LOCALE: &'static str = "locale";
    pub(super) const PER_CUSTOMER: &'static str = "per_customer";
    const FIELDS: &'static [&'static str] = &[TextsConfig::LOCALE, TextsConfig::PER_CUSTOMER];

    /// The table of overrides for the locale named `key` (`ru`, `en`), if it is one.
    pub(super) fn locale_table(&mut self, key: &str) -> Option<&mut BTreeMap<String, String>> {
        match key {
            "ru" => Some(&mut self.ru),
            "en" => Some(&mut self.en),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for TextsConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TextsConfig, D::Error> {
        struct TextsVisitor;

        impl<'de> Visitor<'de> for TextsVisitor {
            type Value = TextsConfig;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of texts")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TextsConfig, A::Error> {
                let mut texts = TextsConfig::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == TextsConfig::LOCALE {
                        texts.locale = map.next_value()?;
                    } else if key == TextsConfig::PER_CUSTOMER {
                        texts.per_customer = map.next_value()?;
                    } else if let Some(table) = texts.locale_table(&key) {
                        *table = map.next_value()?;
                    } else {
                        let text = map.next_value()?;
                        texts.overrides.insert(key, text);
                    }
                }
                Ok(texts)
            }
        }

        // A struct with its declared fields, so that `locale` is a known key like
        // any section's; self-describing formats hand the visitor the whole table.
        deserializer.deserialize_struct("TextsConfig", TextsConfig::FIELDS, TextsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_deserialize_as_locale_and_overrides() {
        let texts: TextsConfig =
            serde_json::from_str(r#"{"greeting": "Hi", "locale": "en", "bye": "Bye"}"#).unwrap();
        assert_eq!(texts.locale, Locale::En);
        assert!(texts.per_customer);
        assert_eq!(texts.overrides.len(), 2);
        assert_eq!(texts.overrides["greeting"], "Hi");
        assert!(serde_json::from_str::<TextsConfig>(r#"{"locale": "de"}"#).is_err());
        assert!(serde_json::from_str::<TextsConfig>(r#"{"greeting": 5}"#).is_err());
        let texts: TextsConfig =
            serde_json::from_str(r#"{"per_customer": false, "en": {"greeting": "Hey"}}"#).unwrap();
        assert!(!texts.per_customer);
        assert_eq!(texts.en["greeting"], "Hey");
        assert!(texts.overrides.is_empty());
    }
}
