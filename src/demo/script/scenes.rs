//! The script: each scene a move by one of the cast and what the service must do
//! before the story goes on.

use super::cast::{ANNA, GROUP, MARIA, Person};
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
        self.onboarding().await?;
        let comm = self.request().await?;
        self.conversation().await?;
        self.archived(comm).await
    }

    /// A step in which `from` writes `text`: it ends once `done` holds (the error
    /// names `what` was waited for) and the service has settled.
    async fn exchange(
        &mut self,
        title: &str,
        from: &Person,
        text: &str,
        what: &str,
        done: impl Fn(&Demo) -> bool,
    ) -> Result<()> {
        self.begin(title);
        self.say(from, text).await?;
        self.until(what, done).await?;
        self.finish().await
    }

    /// Maria opens the bot and confirms her address with the code mailed to her.
    async fn onboarding(&mut self) -> Result<()> {
        self.exchange(
            "Maria opens the bot",
            &MARIA,
            "/start",
            "the bot to answer Maria",
            |d| d.new_message_to(MARIA.id),
        )
        .await?;

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

        self.exchange(
            "Maria types the code from the email",
            &MARIA,
            &code,
            "the bot to confirm Maria's address",
            |d| d.new_message_to(MARIA.id),
        )
        .await
    }

    /// Maria writes her request and adds a photo, and Anna takes it: its number.
    async fn request(&mut self) -> Result<i64> {
        self.exchange(
            "Maria describes her problem",
            &MARIA,
            "Hello! My order #1042 has not arrived.",
            "the request to be announced in the Support group and Maria told it is received",
            |d| d.new_message_to(MARIA.id) && d.announcement().is_some(),
        )
        .await?;
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
        Ok(comm)
    }

    /// Anna and Maria talk, then Anna closes the request.
    async fn conversation(&mut self) -> Result<()> {
        self.exchange(
            "Anna answers",
            &ANNA,
            "Hi Maria, I am checking with the courier.",
            "Anna's answer to reach Maria",
            |d| d.new_copy_to(MARIA.id),
        )
        .await?;
        self.exchange(
            "Maria thanks her",
            &MARIA,
            "Thank you!",
            "Maria's message to reach Anna",
            |d| d.new_copy_to(ANNA.id),
        )
        .await?;
        self.exchange(
            "Anna has news",
            &ANNA,
            "It will arrive tomorrow. Closing this request.",
            "Anna's message to reach Maria",
            |d| d.new_copy_to(MARIA.id),
        )
        .await?;
        self.exchange(
            "Anna closes the request",
            &ANNA,
            "/close",
            "Maria, Anna and the Support group to be told the request is closed",
            |d| d.new_message_to(MARIA.id) && d.new_message_to(ANNA.id) && d.new_message_to(GROUP),
        )
        .await
    }

    /// The archive of request `comm`, once it holds the final transcript and the
    /// photo: its folder.
    async fn archived(&mut self, comm: i64) -> Result<PathBuf> {
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
