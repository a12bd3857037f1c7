//! The story on stdout: who is who, the service starting, then, step by step, what
//! each party saw in Telegram and in the mailbox, and what happened behind the scenes.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;
use testkit::bot_api::Call;
use testkit::mail_catcher::Mail;

use super::cast::{ANNA, GROUP, MARIA, PARTIES, VICTOR, party_name};
use super::text::{bullet, shown, shown_text, wrap};
use super::{DEMO_PHOTO, Demo, PHOTO_ID, Result};

impl Demo {
    pub(super) fn introduce(&mut self) {
        let s = &mut self.story;
        let _ = writeln!(s, "relaydesk demo");
        let _ = writeln!(s, "==============");
        let _ = writeln!(s);
        for line in wrap(
            "The real relaydesk service (HTTPS webhook, SQLite store, outbox, archive) runs on \
             this machine against a built-in Telegram Bot API emulator and a mail catcher, so \
             no Telegram account and no network are needed. A scripted conversation follows; \
             after each move you see what every party saw in Telegram and in the mailbox.",
            86,
        ) {
            let _ = writeln!(s, "{line}");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "Folder: {}", self.dir.display());
        let _ = writeln!(s);
        let _ = writeln!(s, "Who is who");
        let _ = writeln!(
            s,
            "  Maria    a customer (Telegram id {}), writes to the bot privately",
            MARIA.id
        );
        let _ = writeln!(
            s,
            "  Anna     a specialist (id {}), answers through her own private chat with the bot",
            ANNA.id
        );
        let _ = writeln!(
            s,
            "  Support  the service group (chat {GROUP}) where new requests are announced"
        );
        let _ = writeln!(
            s,
            "  Victor   a controller (id {VICTOR}), told whatever the group is told"
        );
    }

    pub(super) fn report_setup(&mut self) {
        let calls = self.new_calls();
        self.calls_seen += calls.len();
        let s = &mut self.story;
        let _ = writeln!(s);
        let _ = writeln!(s, "Starting the service");
        let _ = writeln!(
            s,
            "  The HTTPS webhook listens on {} with a self-signed certificate.",
            self.webhook
        );
        if let Some(hook) = self.bot.webhook() {
            let mut registered = vec![format!("URL {}", hook.url)];
            if hook.secret_token.is_some() {
                registered.push("secret token".into());
            }
            if hook.certificate.is_some() {
                registered.push("certificate".into());
            }
            let text = format!(
                "It registered itself with setWebhook ({}). The emulator delivers every \
                 update there over HTTPS with the secret header, as Telegram does (to port {} \
                 standing in for 8443).",
                registered.join(", "),
                self.webhook.port()
            );
            for line in wrap(&text, 84) {
                let _ = writeln!(s, "  {line}");
            }
        }
        let _ = writeln!(s, "  Command menus (setMyCommands):");
        let mut menus: Vec<&Call> = calls
            .iter()
            .filter(|c| c.ok && c.is("setMyCommands"))
            .collect();
        let scope_chat = |c: &Call| c.param("scope").and_then(|s| s["chat_id"].as_i64());
        menus.sort_by_key(|c| {
            scope_chat(c).map_or(0, |chat| {
                1 + PARTIES
                    .iter()
                    .position(|(id, _)| *id == chat)
                    .unwrap_or(PARTIES.len())
            })
        });
        for c in menus {
            let who = match scope_chat(c) {
                Some(chat) => party_name(chat),
                None => "Customers (Maria)".to_string(),
            };
            let commands: Vec<String> = c
                .param("commands")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|cmd| cmd["command"].as_str().map(|n| format!("/{n}")))
                .collect();
            let _ = writeln!(s, "    {who:<22} {}", commands.join(" "));
        }
    }

    pub(super) fn begin(&mut self, title: &str) {
        self.step += 1;
        self.step_title = title.to_string();
        let heading = format!("Step {} · {title}", self.step);
        let _ = writeln!(self.story);
        let _ = writeln!(self.story, "{heading}");
        let _ = writeln!(self.story, "{}", "─".repeat(heading.chars().count()));
    }

    /// Let the service settle, then tell what each party saw during this step.
    pub(super) async fn finish(&mut self) -> Result<()> {
        self.settle().await?;
        let calls = self.new_calls();
        self.calls_seen += calls.len();
        let mails: Vec<Mail> = self
            .mail
            .messages()
            .into_iter()
            .skip(self.mails_seen)
            .collect();
        self.mails_seen += mails.len();

        let mut by_party: Vec<(i64, Vec<String>)> = Vec::new();
        let mut behind: Vec<String> = Vec::new();
        for call in &calls {
            if !call.ok {
                behind.push(format!(
                    "Telegram refused {} ({})",
                    call.method,
                    call.response["description"]
                        .as_str()
                        .unwrap_or("no reason given")
                ));
                continue;
            }
            let (chat, lines) = match self.render(call) {
                Rendered::Seen(chat, lines) => (chat, lines),
                Rendered::Behind(line) => {
                    behind.push(line);
                    continue;
                }
                Rendered::Nothing => continue,
            };
            match by_party.iter_mut().find(|(c, _)| *c == chat) {
                Some((_, all)) => all.extend(lines),
                None => by_party.push((chat, lines)),
            }
        }
        by_party.sort_by_key(|(chat, _)| {
            PARTIES
                .iter()
                .position(|(id, _)| id == chat)
                .unwrap_or(PARTIES.len())
        });

        let s = &mut self.story;
        for (chat, lines) in &by_party {
            let _ = writeln!(s);
            let _ = writeln!(s, "  {} sees in Telegram:", party_name(*chat));
            for line in lines {
                let _ = writeln!(s, "{line}");
            }
        }
        for m in &mails {
            let _ = writeln!(s);
            let _ = writeln!(s, "  The mailbox of {} gets an email:", m.to.join(", "));
            if let Some(from) = m.header("From") {
                let _ = writeln!(s, "      From:    {from}");
            }
            let _ = writeln!(s, "      Subject: {}", m.subject().unwrap_or_default());
            for line in m.body_text().lines() {
                if line.trim().is_empty() {
                    let _ = writeln!(s, "      │");
                }
                for wrapped in wrap(line, 76) {
                    let _ = writeln!(s, "      │ {wrapped}");
                }
            }
        }
        if !behind.is_empty() {
            let _ = writeln!(s);
            let _ = writeln!(s, "  Behind the scenes:");
            for line in behind {
                let _ = writeln!(s, "    · {line}");
            }
        }
        Ok(())
    }

    /// One Bot API call as its recipient saw it.
    fn render(&mut self, call: &Call) -> Rendered {
        let method = call.method.to_ascii_lowercase();
        if method == "answercallbackquery" {
            let Some(text) = call.str_param("text").filter(|t| !t.is_empty()) else {
                return Rendered::Nothing;
            };
            let presser = call
                .str_param("callback_query_id")
                .and_then(|id| self.presses.get(&id).copied());
            return match presser {
                Some(chat) => Rendered::Seen(chat, bullet("(pop-up notice)", &text)),
                None => Rendered::Behind(format!("a pop-up notice: {text}")),
            };
        }
        if method == "getfile" {
            let file = call.str_param("file_id").unwrap_or_default();
            return Rendered::Behind(if file == PHOTO_ID {
                "the archive downloaded Maria's photo (getFile, then the file itself)".into()
            } else {
                format!("the archive downloaded a file (getFile {file})")
            });
        }
        let Some(chat) = call.chat_id() else {
            return Rendered::Behind(format!("{} (no chat)", call.method));
        };
        let lines = match method.as_str() {
            "sendmessage" | "editmessagetext" => {
                let text = shown_text(call);
                let mut lines = if method == "sendmessage" {
                    bullet("", &text)
                } else {
                    bullet("(edited)", &text)
                };
                lines.extend(self.buttons(call, chat));
                lines
            }
            "editmessagereplymarkup" => {
                let mut lines = Vec::new();
                let buttons = self.buttons(call, chat);
                if buttons.is_empty() {
                    lines.extend(bullet("(the buttons under a message disappear)", ""));
                } else {
                    lines.extend(bullet("(the buttons under a message change:)", ""));
                    lines.extend(buttons);
                }
                lines
            }
            "copymessage" => {
                let from = call.int_param("from_chat_id").unwrap_or(0);
                let id = call.int_param("message_id").unwrap_or(0);
                bullet("", &self.copy_of(from, id))
            }
            "copymessages" => {
                let from = call.int_param("from_chat_id").unwrap_or(0);
                let ids: Vec<i64> = call
                    .param("message_ids")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_i64)
                    .collect();
                ids.iter()
                    .flat_map(|id| bullet("", &self.copy_of(from, *id)))
                    .collect()
            }
            "deletemessage" => bullet("(a message is deleted)", ""),
            m if m.starts_with("send") => {
                let kind = &call.method[4..];
                let caption = call.text().map(|t| shown(call, &t)).unwrap_or_default();
                let mut lines = bullet(&format!("({})", kind.to_ascii_lowercase()), &caption);
                lines.extend(self.buttons(call, chat));
                lines
            }
            _ => return Rendered::Behind(format!("{} to {}", call.method, party_name(chat))),
        };
        Rendered::Seen(chat, lines)
    }

    /// The buttons of a sent or edited message, one row a line; notes when an edit
    /// took them away.
    fn buttons(&mut self, call: &Call, chat: i64) -> Vec<String> {
        let rows: Vec<String> = call
            .reply_markup()
            .and_then(|m| m.get("inline_keyboard").cloned())
            .and_then(|k| k.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|row| {
                row.as_array()
                    .into_iter()
                    .flatten()
                    .map(|b| format!("[{}]", b["text"].as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|row| !row.is_empty())
            .collect();
        let key = (
            chat,
            call.message_id()
                .or_else(|| call.int_param("message_id"))
                .unwrap_or(0),
        );
        let had = self.with_buttons.insert(key, !rows.is_empty()) == Some(true);
        if rows.is_empty() && had && !call.is("sendMessage") {
            return vec!["        (its buttons are gone)".to_string()];
        }
        rows.into_iter().map(|r| format!("        {r}")).collect()
    }

    fn copy_of(&self, chat: i64, id: i64) -> String {
        match self.sent.get(&(chat, id)) {
            Some(sent) => format!("(copy of {}'s {})", sent.author, sent.what),
            None => format!("(copy of message {id} of {})", party_name(chat)),
        }
    }

    pub(super) fn report_archive(&mut self, folder: &Path) {
        let s = &mut self.story;
        let _ = writeln!(s);
        let _ = writeln!(s, "The archive");
        let _ = writeln!(s, "───────────");
        let _ = writeln!(s, "  {}", folder.display());
        let _ = writeln!(s);
        let _ = writeln!(s, "  transcript.txt:");
        let text = std::fs::read_to_string(folder.join("transcript.txt")).unwrap_or_default();
        for line in text.lines() {
            let _ = writeln!(s, "      │ {line}");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "  files/:");
        for (name, bytes) in files_in(&folder.join("files")) {
            let same = if bytes == DEMO_PHOTO {
                " (Maria's photo, byte for byte)"
            } else {
                ""
            };
            let _ = writeln!(s, "      {name}  {} bytes{same}", bytes.len());
        }
    }
}

enum Rendered {
    /// Lines the chat's owner saw.
    Seen(i64, Vec<String>),
    /// Something no party sees.
    Behind(String),
    Nothing,
}

/// Every file of a folder with its bytes, by name.
pub(super) fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let bytes = std::fs::read(e.path()).ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), bytes))
        })
        .collect();
    files.sort();
    files
}
