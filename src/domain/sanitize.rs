//! Safe file names for `files/`: whatever a customer calls a file, the name saved
//! can never leave the folder, hide, or trip a file system.

/// Longest saved name, in bytes.
pub const MAX_NAME: usize = 120;

const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A file name safe to create inside a folder: no path (only the part after the last
/// `/` or `\`), no control characters, none of `<>:"|?*`, no leading dot, not a
/// reserved device name, not empty, at most [`MAX_NAME`] bytes (the extension kept).
pub fn file_name(input: &str) -> String {
    let base = input.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = base
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    name = name
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string();
    if name.is_empty() {
        name = "file".into();
    }
    let stem = name.split('.').next().unwrap_or("").to_ascii_uppercase();
    if RESERVED.contains(&stem.as_str()) {
        name = format!("_{name}");
    }
    shorten(&name, MAX_NAME)
}

/// Cut to `max` bytes on a character boundary, keeping a short extension.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let ext = name
        .rfind('.')
        .map(|i| &name[i..])
        .filter(|e| e.len() <= 16)
        .unwrap_or("");
    let room = max - ext.len();
    let mut end = room;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ext}", &name[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX_NAME
            && !name.contains('/')
            && !name.contains('\\')
            && !name.starts_with('.')
            && !name.chars().any(char::is_control)
    }

    #[test]
    fn hostile_names_stay_inside() {
        for (input, expected) in [
            ("../../etc/passwd", "passwd"),
            ("/etc/shadow", "shadow"),
            ("..\\..\\boot.ini", "boot.ini"),
            ("..", "file"),
            (".", "file"),
            ("", "file"),
            (".bashrc", "bashrc"),
            ("a\0b.txt", "a_b.txt"),
            ("CON", "_CON"),
            ("con.txt", "_con.txt"),
            ("LPT1.log", "_LPT1.log"),
            ("report: final?.pdf", "report_ final_.pdf"),
            ("отчёт 2024.pdf", "отчёт 2024.pdf"),
        ] {
            let got = file_name(input);
            assert_eq!(got, expected, "{input:?}");
            assert!(safe(&got));
        }
    }

    #[test]
    fn long_names_are_bounded_and_keep_the_extension() {
        let long = format!("{}.pdf", "я".repeat(300));
        let got = file_name(&long);
        assert!(got.len() <= MAX_NAME);
        assert!(got.ends_with(".pdf"));
        assert!(safe(&got));
        let plain = "x".repeat(300);
        assert_eq!(file_name(&plain).len(), MAX_NAME);
    }
}
