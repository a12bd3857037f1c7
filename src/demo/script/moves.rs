//! What the cast sends, as Telegram delivers it to the webhook.

use std::fmt::Write as _;

use serde_json::{Value, json};
use testkit::bot_api;

use super::cast::{GROUP_TITLE, Person};
use super::{DEMO_PHOTO, Demo, PHOTO_ID, PHOTO_THUMB_ID, Result, Sent};

impl Demo {
    fn update_id(&mut self) -> i64 {
        let id = self.next_update;
        self.next_update += 1;
        id
    }

    fn message(&mut self, from: &Person) -> Value {
        json!({
            "message_id": self.bot.next_message_id(from.id),
            "from": from.user(),
            "chat": from.chat(),
            "date": chrono::Utc::now().timestamp()
        })
    }

    /// A text message from `from` in their private chat with the bot.
    pub(super) async fn say(&mut self, from: &Person, text: &str) -> Result<()> {
        let mut message = self.message(from);
        message["text"] = json!(text);
        if text.starts_with('/') {
            let length = text
                .split_whitespace()
                .next()
                .unwrap_or(text)
                .encode_utf16()
                .count();
            message["entities"] = json!([{"type": "bot_command", "offset": 0, "length": length}]);
        }
        let _ = writeln!(self.story, "  {} sends: {text}", from.first_name);
        self.remember(from, &message, format!("message “{text}”"));
        let update_id = self.update_id();
        self.deliver(json!({"update_id": update_id, "message": message}))
            .await
    }

    pub(super) async fn send_photo(&mut self, from: &Person, caption: &str) -> Result<()> {
        let mut message = self.message(from);
        let size = DEMO_PHOTO.len();
        message["photo"] = json!([
            {"file_id": PHOTO_THUMB_ID, "file_unique_id": "AQADDemoThumb", "width": 90, "height": 54, "file_size": size},
            {"file_id": PHOTO_ID, "file_unique_id": "AQADDemoPhoto", "width": 160, "height": 96, "file_size": size}
        ]);
        message["caption"] = json!(caption);
        let _ = writeln!(
            self.story,
            "  {} sends a photo ({size} bytes) with the caption: {caption}",
            from.first_name
        );
        self.remember(from, &message, format!("photo “{caption}”"));
        let update_id = self.update_id();
        self.deliver(json!({"update_id": update_id, "message": message}))
            .await
    }

    /// `from` presses the button `label` (carrying `data`) under message `message_id`
    /// of `chat`.
    pub(super) async fn press(
        &mut self,
        from: &Person,
        chat: i64,
        message_id: i64,
        data: &str,
        label: &str,
    ) -> Result<()> {
        let id = format!("demo-press-{}", self.next_callback);
        self.next_callback += 1;
        self.presses.insert(id.clone(), from.id);
        let message = self.bot.message(chat, message_id).unwrap_or_else(|| {
            json!({
                "message_id": message_id,
                "from": {"id": bot_api::BOT_ID, "is_bot": true, "first_name": bot_api::BOT_FIRST_NAME},
                "chat": {"id": chat, "type": "supergroup", "title": GROUP_TITLE},
                "date": chrono::Utc::now().timestamp(),
                "text": "…"
            })
        });
        let _ = writeln!(
            self.story,
            "  {} presses [{label}] under the announcement in the {GROUP_TITLE} group",
            from.first_name,
        );
        let update = json!({
            "update_id": self.update_id(),
            "callback_query": {
                "id": id,
                "from": from.user(),
                "message": message,
                "chat_instance": format!("demo-{chat}"),
                "data": data
            }
        });
        self.deliver(update).await
    }

    fn remember(&mut self, from: &Person, message: &Value, what: String) {
        if let Some(id) = message["message_id"].as_i64() {
            self.sent.insert(
                (from.id, id),
                Sent {
                    author: from.first_name,
                    what,
                },
            );
        }
    }

    /// POST the update to the service's webhook, as Telegram does.
    async fn deliver(&mut self, update: Value) -> Result<()> {
        match self.bot.deliver_update(&update, Some(self.webhook)).await {
            Ok((200, _)) => Ok(()),
            Ok((status, body)) => Err(self.failure(&format!(
                "the webhook answered HTTP {status} ({})",
                body.trim()
            ))),
            Err(e) => Err(self.failure(&format!("the update could not be delivered: {e}"))),
        }
    }
}
