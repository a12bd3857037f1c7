//! The keys a section knows, read from its type.
//!
//! serde's derived `Deserialize` for a struct calls
//! `Deserializer::deserialize_struct(name, FIELDS, visitor)` with the struct's field
//! names (as renamed, without skipped ones). [`fields`] hands the type a deserializer
//! that records that list and stops, so the known keys of every section, and the
//! sections of [`Config`](super::Config) themselves, come from the fields of the
//! types: there is no list to keep in step by hand.

use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// The field names of the struct `T` deserializes as, in declaration order; through
/// a list or an `Option` (`Vec<Person>` gives `Person`'s). Empty for anything that
/// does not deserialize as a struct.
pub(super) fn fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut found = &[][..];
    let _ = T::deserialize(Recorder {
        field: None,
        found: &mut found,
    });
    found
}

/// The field names of the struct in the field `field` of the struct `T` (through a
/// list or an `Option`): `fields_of_field::<Config>("smtp")` is `SmtpConfig`'s.
/// Empty when `T` has no such field. (The loader knows each section's type; the
/// tests go from the names of `Config`'s fields to their keys.)
#[cfg(test)]
pub(super) fn fields_of_field<T: DeserializeOwned>(field: &str) -> &'static [&'static str] {
    let mut found = &[][..];
    let _ = T::deserialize(Recorder {
        field: Some(field),
        found: &mut found,
    });
    found
}

/// A deserializer that has no data: it records the field names of the first struct
/// asked for (after descending into `field`, if set) and then fails.
struct Recorder<'a> {
    field: Option<&'a str>,
    found: &'a mut &'static [&'static str],
}

/// The error that ends every recording.
#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("only the field names are recorded")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Stop {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for Recorder<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Stop> {
        match self.field {
            None => {
                *self.found = fields;
                Err(Stop)
            }
            // A map holding only that field, whose value records its own type's.
            Some(field) => visitor.visit_map(OneField {
                key: Some(field),
                value: Some(Recorder {
                    field: None,
                    found: self.found,
                }),
            }),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_seq(OneElement(Some(self)))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Stop> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf unit unit_struct tuple tuple_struct map enum identifier ignored_any
    }
}

struct OneField<'a> {
    key: Option<&'a str>,
    value: Option<Recorder<'a>>,
}

impl<'de> MapAccess<'de> for OneField<'_> {
    type Error = Stop;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Stop> {
        match self.key.take() {
            Some(key) => seed
                .deserialize(StrDeserializer::<Stop>::new(key))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Stop> {
        match self.value.take() {
            Some(recorder) => seed.deserialize(recorder),
            None => Err(Stop),
        }
    }
}

struct OneElement<'a>(Option<Recorder<'a>>);

impl<'de> SeqAccess<'de> for OneElement<'_> {
    type Error = Stop;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Stop> {
        match self.0.take() {
            Some(recorder) => seed.deserialize(recorder).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Group, Person, TelegramConfig, TextsConfig};

    #[test]
    fn field_names_come_from_the_types() {
        assert_eq!(
            fields::<Config>(),
            [
                "telegram",
                "webhook",
                "database",
                "archive",
                "smtp",
                "auth",
                "timeouts",
                "reports",
                "csat",
                "hours",
                "reminders",
                "disk",
                "limits",
                "retention",
                "specialists",
                "service_groups",
                "controllers",
                "departments",
                "canned",
                "texts",
                "log",
                "admin",
                "console",
            ]
        );
        assert_eq!(
            fields::<TelegramConfig>(),
            ["token", "api_url", "request_timeout", "poll_timeout"]
        );
        assert_eq!(
            fields_of_field::<Config>("telegram"),
            fields::<TelegramConfig>()
        );
        assert_eq!(fields::<Person>(), ["chat_id", "name"]);
        assert_eq!(fields::<Group>(), ["chat_id", "name"]);
        assert_eq!(fields::<Vec<Person>>(), ["chat_id", "name"]);
        assert_eq!(
            fields_of_field::<Config>("service_groups"),
            ["chat_id", "name"]
        );
        assert_eq!(fields::<TextsConfig>(), ["locale", "per_customer"]);
        assert_eq!(
            fields_of_field::<Config>("texts"),
            ["locale", "per_customer"]
        );
        // not a struct, or no such field
        assert!(fields::<String>().is_empty());
        assert!(fields::<Option<u16>>().is_empty());
        assert!(fields_of_field::<Config>("smpt").is_empty());
        assert!(fields_of_field::<TelegramConfig>("token").is_empty());
    }
}
