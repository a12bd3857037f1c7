//! Splitting long texts into Telegram messages: at most `limit` UTF-16 code units
//! each (Telegram counts that way), on line boundaries where possible, else on a
//! space, never inside a character. Concatenating the parts gives the text back.

/// Telegram's limit for a message text.
pub const MESSAGE_LIMIT: usize = 4096;

/// Length as Telegram counts it.
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

pub fn split(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(2);
    let mut parts = Vec::new();
    let mut rest = text;
    while utf16_len(rest) > limit {
        // The longest prefix within the limit, as a byte index.
        let mut units = 0;
        let mut end = 0;
        for (i, c) in rest.char_indices() {
            if units + c.len_utf16() > limit {
                break;
            }
            units += c.len_utf16();
            end = i + c.len_utf8();
        }
        let window = &rest[..end];
        // Prefer the last line break, then the last space, in the second half of
        // the window, so parts do not get absurdly short.
        let half = window.len() / 2;
        let cut = window
            .rfind('\n')
            .filter(|&i| i >= half)
            .or_else(|| window.rfind(' ').filter(|&i| i >= half))
            .map(|i| i + 1)
            .unwrap_or(end);
        parts.push(rest[..cut].to_string());
        rest = &rest[cut..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split("hello", 4096), vec!["hello".to_string()]);
        assert_eq!(split("", 4096), vec![String::new()]);
    }

    #[test]
    fn cyrillic_and_emoji_transcript_splits_cleanly() {
        let mut text = String::new();
        let mut i = 0;
        while text.chars().count() < 20_000 {
            text.push_str(&format!(
                "[{i:05}] Клиент: Здравствуйте, у меня вопрос по заказу 😀👍🏽 — спасибо!\n"
            ));
            i += 1;
        }
        // One very long line without breaks too.
        text.push_str(&"ж😀".repeat(3000));
        let parts = split(&text, MESSAGE_LIMIT);
        assert!(parts.len() >= 6);
        for p in &parts {
            assert!(utf16_len(p) <= MESSAGE_LIMIT, "{}", utf16_len(p));
            assert!(!p.is_empty());
        }
        assert_eq!(parts.concat(), text);
        // Line boundaries are used where there are lines.
        assert!(parts[0].ends_with('\n'));
    }

    #[test]
    fn never_cuts_a_surrogate_pair() {
        let text = "😀".repeat(5000); // 10,000 UTF-16 units
        let parts = split(&text, 4095);
        for p in &parts {
            assert!(utf16_len(p) <= 4095);
            assert!(p.chars().all(|c| c == '😀'));
        }
        assert_eq!(parts.concat(), text);
    }
}
