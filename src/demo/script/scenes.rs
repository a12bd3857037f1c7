//! The script: each scene a move by one of the cast and what the service must do
//! before the story goes on.

use super::cast::{ANNA, GROUP, MARIA};
use super::story::files_in;
use super::{DEMO_PHOTO, Demo, PHOTO_ID, PHOTO_THUMB_ID, Result, demo_error};
use std::path::{Path, PathBuf};

const EMAIL: &str = "maria@example.com";

impl Demo {
    /// The whole script; the folder of the archived communication.
    pub(super) async fn play(&mut self) -> Result<PathBuf> {
        self.until("the service to register its webhook (setWebhook)", |d| {
            d.bot.webhook().is_some()
        })
        .await?;
        self.settle().await?;
        self.report_setup();

        self.begin("Maria opens the bot");
        self.say(&MARIA, "/start").await?;
        self.until("the bot to answer Maria", |d| d.new_message_to(MARIA.id))
            .await?;
        self.finish().await?;

        self.begin("Maria gives her email address");
        self.say(&MARIA, EMAIL).await?;
        self.until("the code mail to reach the mailbox", |d| {
            d.mail
                .messages()
                .iter()
                .skip(d.mails_seen)
                .any(|m| m.to.iter().any(|t| t == EMAIL))
        })
        .await?;
        let code = self
            .mail
            .messages()
            .iter()
            .rev()
            .filter(|m| m.to.iter().any(|t| t == EMAIL))
            .find_map(|m| six_digits(&m.body_text()))
            .ok_or_else(|| demo_error("the mail to Maria holds no 6-digit code"))?;
        self.until("the bot to tell Maria the code is on its way", |d| {
            d.new_message_to(MARIA.id)
        })
        .await?;
        self.finish().await?;

        self.begin("Maria types the code from the email");
        self.say(&MARIA, &code).await?;
        self.until("the bot to confirm Maria's address", |d| {
            d.new_message_to(MARIA.id)
        })
        .await?;
        self.finish().await?;

        self.begin("Maria describes her problem");
        self.say(&MARIA, "Hello! My order #1042 has not arrived.")
            .await?;
        self.until(
            "the request to be announced in the Support group and Maria told it is received",
            |d| d.new_message_to(MARIA.id) && d.announcement().is_some(),
        )
        .await?;
        self.finish().await?;
        let comm = self.request_number()?;

        self.begin("Maria adds a photo");
        self.bot.add_file(PHOTO_ID, DEMO_PHOTO.to_vec());
        self.bot.add_file(PHOTO_THUMB_ID, DEMO_PHOTO.to_vec());
        self.send_photo(&MARIA, "This is the tracking page").await?;
        self.finish().await?;

        self.begin("Anna takes the request");
        let (announcement, data) = self
            .announcement()
            .ok_or_else(|| demo_error("the announcement with its Take button is gone"))?;
        self.press(&ANNA, GROUP, announcement, &data, "Take")
            .await?;
        self.until(
            "Anna to get the request and Maria to be told who handles it",
            |d| d.new_message_to(ANNA.id) && d.new_message_to(MARIA.id),
        )
        .await?;
        self.finish().await?;

        self.begin("Anna answers");
        self.say(&ANNA, "Hi Maria, I am checking with the courier.")
            .await?;
        self.until("Anna's answer to reach Maria", |d| d.new_copy_to(MARIA.id))
            .await?;
        self.finish().await?;

        self.begin("Maria thanks her");
        self.say(&MARIA, "Thank you!").await?;
        self.until("Maria's message to reach Anna", |d| d.new_copy_to(ANNA.id))
            .await?;
        self.finish().await?;

        self.begin("Anna has news");
        self.say(&ANNA, "It will arrive tomorrow. Closing this request.")
            .await?;
        self.until("Anna's message to reach Maria", |d| d.new_copy_to(MARIA.id))
            .await?;
        self.finish().await?;

        self.begin("Anna closes the request");
        self.say(&ANNA, "/close").await?;
        self.until(
            "Maria, Anna and the Support group to be told the request is closed",
            |d| d.new_message_to(MARIA.id) && d.new_message_to(ANNA.id) && d.new_message_to(GROUP),
        )
        .await?;
        self.finish().await?;

        let folder = relaydesk::domain::archive::folder(&self.archive_root, MARIA.id, comm);
        let transcript = folder.join("transcript.txt");
        let files = folder.join("files");
        self.until(
            "the archive to hold the final transcript and the photo",
            |_| {
                std::fs::read_to_string(&transcript).is_ok_and(|t| t.contains("Close reason"))
                    && holds_photo(&files)
            },
        )
        .await?;
        self.report_archive(&folder);
        Ok(folder)
    }
}

/// The first run of exactly six digits.
fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_string)
}

fn holds_photo(dir: &Path) -> bool {
    files_in(dir).iter().any(|(_, bytes)| bytes == DEMO_PHOTO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found_in_mail_bodies() {
        assert_eq!(
            six_digits("Your confirmation code: 042917\n\nValid 10 min.").as_deref(),
            Some("042917")
        );
        assert_eq!(six_digits("no code 12345 here"), None);
    }
}
