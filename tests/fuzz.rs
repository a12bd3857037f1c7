//! Property tests ("fuzzing" that runs in CI): reading arbitrary updates never
//! panics, and splitting any text keeps the limits and the text.

use proptest::prelude::*;
use relaydesk::domain::split::{split, utf16_len};
use relaydesk::telegram::update::{envelope, to_action};
use serde_json::{Value, json};

/// Arbitrary JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("message".to_string()),
                    Just("chat".to_string()),
                    Just("from".to_string()),
                    Just("id".to_string()),
                    Just("text".to_string()),
                    Just("type".to_string()),
                    Just("callback_query".to_string()),
                    Just("data".to_string()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A plausible private message with arbitrary content in its fields.
fn message_update() -> impl Strategy<Value = Value> {
    (
        any::<i64>(),
        any::<i64>(),
        any::<i32>(),
        ".{0,200}",
        prop::option::of(json_value()),
        prop::sample::select(vec!["private", "group", "supergroup", "channel", "weird"]),
        prop::sample::select(vec!["message", "edited_message", "callback_query", "poll"]),
    )
        .prop_map(
            |(update_id, chat, message_id, text, extra, kind, chat_type)| {
                let mut m = json!({
                    "message_id": message_id,
                    "date": 1,
                    "chat": {"id": chat, "type": kind, "first_name": "X"},
                    "from": {"id": chat, "is_bot": false, "first_name": "X"},
                    "text": text,
                });
                if let Some(extra) = extra {
                    m["extra"] = extra;
                }
                if chat_type == "callback_query" {
                    json!({"update_id": update_id, "callback_query": {
                    "id": "1", "from": {"id": chat, "is_bot": false, "first_name": "X"},
                    "chat_instance": "c", "data": text, "message": m}})
                } else {
                    json!({"update_id": update_id, chat_type: m})
                }
            },
        )
}

fn read(raw: &Value) {
    let _ = envelope(raw);
    let bytes = serde_json::to_vec(raw).unwrap();
    if let Ok(update) = serde_json::from_slice::<teloxide::types::Update>(&bytes) {
        let _ = to_action(&update, raw);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics(raw in json_value()) {
        read(&raw);
    }

    #[test]
    fn arbitrary_messages_never_panic(raw in message_update()) {
        read(&raw);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(raw) = serde_json::from_slice::<Value>(&bytes) {
            read(&raw);
        }
    }

    #[test]
    fn split_keeps_limits_and_text(text in "(\\PC|\n|😀|👍🏽|ё̈){0,3000}", limit in 2usize..600) {
        let parts = split(&text, limit);
        for p in &parts {
            prop_assert!(utf16_len(p) <= limit);
        }
        prop_assert_eq!(parts.concat(), text);
    }
}
