//! Messages as people read them: Telegram HTML as plain text, lines wrapped on words,
//! each message a bullet of the story.

use testkit::bot_api::Call;

/// A message in the story: "    » " then the text, wrapped and indented.
pub(super) fn bullet(note: &str, text: &str) -> Vec<String> {
    let body = match (note.is_empty(), text.is_empty()) {
        (true, _) => text.to_string(),
        (false, true) => note.to_string(),
        (false, false) => format!("{note} {text}"),
    };
    let mut out = Vec::new();
    for (i, line) in body
        .lines()
        .flat_map(|l| {
            let w = wrap(l, 78);
            if w.is_empty() { vec![String::new()] } else { w }
        })
        .enumerate()
    {
        let prefix = if i == 0 { "    » " } else { "      " };
        out.push(format!("{prefix}{line}").trim_end().to_string());
    }
    if out.is_empty() {
        out.push("    »".to_string());
    }
    out
}

/// The text or caption of a call as the recipient sees it.
pub(super) fn shown_text(call: &Call) -> String {
    call.text().map(|t| shown(call, &t)).unwrap_or_default()
}

pub(super) fn shown(call: &Call, text: &str) -> String {
    let html = call
        .str_param("parse_mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("html"));
    if html {
        plain_text(text)
    } else {
        text.to_string()
    }
}

/// Telegram HTML as people read it: tags dropped, entities decoded.
pub(super) fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Words of `line` in lines of at most `width` characters (a longer word stays whole).
pub(super) fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split_whitespace() {
        let needed = if current.is_empty() {
            word.chars().count()
        } else {
            current.chars().count() + 1 + word.chars().count()
        };
        if needed > width && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_shown_as_people_read_it() {
        assert_eq!(
            plain_text("Your request <b>#1</b> is &lt;received&gt; &amp; &quot;kept&quot;"),
            "Your request #1 is <received> & \"kept\""
        );
        assert_eq!(plain_text("a &amp;lt; b"), "a &lt; b");
    }

    #[test]
    fn long_lines_wrap_on_words() {
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghij k", 5), vec!["abcdefghij", "k"]);
        assert!(wrap("   ", 5).is_empty());
    }
}
