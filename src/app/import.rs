//! `relaydesk import customers FILE` (SPEC §9): a JSON array or a CSV file (with a
//! header row) of `telegram_id, name, username, email, verified`, read and checked
//! row by row — each problem with the file's line, the header being line 1 — and
//! then written by the store all at once, or not at all.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::config::Config;
use crate::domain::email::EmailError;
use crate::domain::{Actor, AuditAction, AuditEntry, EmailAddress};
use crate::error::{Error, Result};
use crate::store::import::{self, Imported, NewCustomer};

/// The columns a file may have; `telegram_id` and `name` are required.
pub const COLUMNS: [&str; 5] = ["telegram_id", "name", "username", "email", "verified"];

/// A problem of the file, on its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

/// A file read: the customers of its good rows, and every problem.
#[derive(Debug, Default)]
pub struct Read {
    pub rows: Vec<NewCustomer>,
    pub problems: Vec<Problem>,
}

/// One row before it is checked: each field as written (JSON values as they are).
#[derive(Default)]
struct Raw {
    line: u64,
    fields: HashMap<&'static str, Field>,
}

enum Field {
    Text(String),
    Json(Value),
}

fn describe_email(e: EmailError) -> &'static str {
    match e {
        EmailError::Empty => "it is empty",
        EmailError::TooLong => "it is longer than 254 characters",
        EmailError::NoAt => "it has no @",
        EmailError::ManyAt => "it has more than one @",
        EmailError::NoLocalPart => "nothing before the @",
        EmailError::NoDottedDomain => "the part after the @ is not a domain with a dot",
        EmailError::Invalid => "it is not a valid address",
    }
}

/// The text of an optional text field (empty and null are none).
fn text(raw: &Raw, key: &str, problems: &mut Vec<String>) -> Option<String> {
    match raw.fields.get(key) {
        None | Some(Field::Json(Value::Null)) => None,
        Some(Field::Text(t)) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
        Some(Field::Json(Value::String(t))) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
        Some(Field::Json(v)) => {
            problems.push(format!("{key} must be a text, got {v}"));
            None
        }
    }
}

/// Check one row: the customer, or every problem of the row.
fn check(raw: &Raw) -> std::result::Result<NewCustomer, Vec<String>> {
    let mut problems = Vec::new();
    let telegram_id = match raw.fields.get("telegram_id") {
        None | Some(Field::Json(Value::Null)) => {
            problems.push("telegram_id is missing".to_string());
            None
        }
        Some(Field::Json(Value::Number(n))) => n.as_i64().filter(|n| *n > 0).or_else(|| {
            problems.push(format!(
                "telegram_id must be a positive whole number, got {n}"
            ));
            None
        }),
        Some(Field::Text(t)) => t.trim().parse::<i64>().ok().filter(|n| *n > 0).or_else(|| {
            problems.push(format!(
                "telegram_id must be a positive whole number, got {t:?}"
            ));
            None
        }),
        Some(Field::Json(v)) => {
            problems.push(format!(
                "telegram_id must be a positive whole number, got {v}"
            ));
            None
        }
    };
    let name = text(raw, "name", &mut problems);
    if name.is_none() && !problems.iter().any(|p| p.starts_with("name")) {
        problems.push("name is missing".to_string());
    }
    let username = text(raw, "username", &mut problems).map(|u| {
        let u = u.strip_prefix('@').unwrap_or(&u).to_string();
        if u.is_empty()
            || u.chars().count() > 32
            || !u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            problems.push(format!(
                "username {u:?} is not a Telegram username (letters, digits and _, up to 32)"
            ));
        }
        u
    });
    let email = text(raw, "email", &mut problems).and_then(|e| match EmailAddress::parse(&e) {
        Ok(address) => Some(address),
        Err(why) => {
            problems.push(format!("email {e:?} is refused: {}", describe_email(why)));
            None
        }
    });
    let verified = match raw.fields.get("verified") {
        None | Some(Field::Json(Value::Null)) => false,
        Some(Field::Json(Value::Bool(b))) => *b,
        Some(Field::Text(t)) => match t.trim() {
            "true" => true,
            "false" | "" => false,
            other => {
                problems.push(format!("verified must be true or false, got {other:?}"));
                false
            }
        },
        Some(Field::Json(v)) => {
            problems.push(format!("verified must be true or false, got {v}"));
            false
        }
    };
    let has_email_problem = problems.iter().any(|p| p.starts_with("email"));
    if verified && email.is_none() && !has_email_problem {
        problems.push("a verified customer needs an email".to_string());
    }
    match (telegram_id, name) {
        (Some(telegram_id), Some(name)) if problems.is_empty() => Ok(NewCustomer {
            line: raw.line,
            telegram_id,
            name,
            username,
            email,
            verified,
        }),
        _ => Err(problems),
    }
}

fn column(name: &str) -> Option<&'static str> {
    COLUMNS.iter().copied().find(|c| *c == name)
}

fn is_json(path: &Path, text: &str) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("json") => true,
        Some(e) if e.eq_ignore_ascii_case("csv") => false,
        _ => text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('['),
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_at(text: &str, offset: usize) -> u64 {
    let newlines = text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    u64::try_from(newlines).unwrap_or(u64::MAX - 1) + 1
}

fn csv_rows(text: &str, problems: &mut Vec<Problem>) -> Vec<Raw> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
        Err(e) => {
            problems.push(Problem {
                line: 1,
                what: format!("the header row cannot be read: {e}"),
            });
            return Vec::new();
        }
    };
    let mut columns = Vec::new();
    for name in &header {
        match column(name) {
            Some(c) if columns.contains(&Some(c)) => problems.push(Problem {
                line: 1,
                what: format!("column {name} is there twice"),
            }),
            Some(c) => columns.push(Some(c)),
            None => {
                problems.push(Problem {
                    line: 1,
                    what: format!(
                        "unknown column {name:?} (the columns are {})",
                        COLUMNS.join(", ")
                    ),
                });
                columns.push(None);
            }
        }
    }
    for required in ["telegram_id", "name"] {
        if !columns.contains(&Some(required)) {
            problems.push(Problem {
                line: 1,
                what: format!("the header has no {required} column"),
            });
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(Problem {
                    line,
                    what: format!("cannot be read as CSV: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != columns.len() {
            problems.push(Problem {
                line,
                what: format!("has {} fields, the header {}", record.len(), columns.len()),
            });
            continue;
        }
        let fields = columns
            .iter()
            .zip(record.iter())
            .filter_map(|(c, v)| c.map(|c| (c, Field::Text(v.to_string()))))
            .collect();
        rows.push(Raw { line, fields });
    }
    rows
}

fn json_rows(text: &str, problems: &mut Vec<Problem>) -> Vec<Raw> {
    // A byte-order mark is no line of its own.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let skip = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut problem = |at: usize, what: String| {
        problems.push(Problem {
            line: line_at(text, at),
            what,
        })
    };
    let mut i = skip(0);
    if bytes.get(i) != Some(&b'[') {
        problem(i, "expected a JSON array of customers".into());
        return Vec::new();
    }
    i = skip(i + 1);
    let mut rows = Vec::new();
    if bytes.get(i) == Some(&b']') {
        i += 1;
    } else {
        loop {
            let start = i;
            let mut values = serde_json::Deserializer::from_str(&text[i..]).into_iter::<Value>();
            match values.next() {
                Some(Ok(Value::Object(map))) => {
                    let mut raw = Raw {
                        line: line_at(text, start),
                        fields: HashMap::new(),
                    };
                    let mut bad = Vec::new();
                    for (k, v) in map {
                        match column(&k) {
                            Some(c) => {
                                raw.fields.insert(c, Field::Json(v));
                            }
                            None => bad.push(format!(
                                "unknown field {k:?} (the fields are {})",
                                COLUMNS.join(", ")
                            )),
                        }
                    }
                    if bad.is_empty() {
                        rows.push(raw);
                    } else {
                        for what in bad {
                            problem(start, what);
                        }
                    }
                }
                Some(Ok(other)) => problem(start, format!("expected an object, got {other}")),
                Some(Err(e)) => {
                    problem(start, format!("not JSON: {e}"));
                    return rows;
                }
                None => {
                    problem(start, "the array is not closed".into());
                    return rows;
                }
            }
            i = skip(start + values.byte_offset());
            match bytes.get(i) {
                Some(b',') => i = skip(i + 1),
                Some(b']') => {
                    i += 1;
                    break;
                }
                _ => {
                    problem(i, "expected , or ] after a customer".into());
                    return rows;
                }
            }
        }
    }
    let end = skip(i);
    if end < bytes.len() {
        problem(end, "text after the array".into());
    }
    rows
}

/// Read and check `text`, the file at `path` (JSON or CSV by its extension, else
/// by its content): its good rows and every problem, by line.
pub fn read(path: &Path, text: &str) -> Read {
    let mut problems = Vec::new();
    let raws = if is_json(path, text) {
        json_rows(text, &mut problems)
    } else {
        csv_rows(text, &mut problems)
    };
    let mut rows: Vec<NewCustomer> = Vec::new();
    let mut seen: HashMap<i64, u64> = HashMap::new();
    for raw in &raws {
        match check(raw) {
            Ok(row) => {
                if let Some(first) = seen.get(&row.telegram_id) {
                    problems.push(Problem {
                        line: row.line,
                        what: format!("telegram_id {} is on line {first} already", row.telegram_id),
                    });
                } else {
                    seen.insert(row.telegram_id, row.line);
                    rows.push(row);
                }
            }
            Err(each) => problems.extend(each.into_iter().map(|what| Problem {
                line: raw.line,
                what,
            })),
        }
    }
    problems.sort_by_key(|p| p.line);
    Read { rows, problems }
}

/// What `relaydesk import` did: the known ids skipped, the problems, and whether
/// anything was written.
#[derive(Debug)]
pub struct Report {
    pub imported: Imported,
    pub problems: Vec<Problem>,
    pub written: bool,
}

/// The `import` line of the audit log: by `system`, what was added from where.
fn audit_entry(file: &Path, imported: &Imported) -> AuditEntry {
    AuditEntry::new(Actor::System, AuditAction::Import, None)
        .detail("kind", "customers")
        .detail("added", imported.added)
        .detail("skipped", imported.known.len())
        .detail("from", file.display())
}

/// `relaydesk import customers FILE [--dry-run]`, beside the running service: the
/// file read and checked; the customers added (with the audit line) only if no row
/// has a problem and it is not a dry run.
pub fn run(config: &Config, file: &Path, dry_run: bool) -> Result<Report> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io_path("read", file, e))?;
    let mut read = read(file, &text);
    // The staff are not customers.
    let staff: Vec<i64> = config
        .specialists
        .iter()
        .chain(&config.controllers)
        .map(|p| p.chat_id)
        .collect();
    read.rows.retain(|row| {
        let is_staff = staff.contains(&row.telegram_id);
        if is_staff {
            read.problems.push(Problem {
                line: row.line,
                what: format!(
                    "telegram_id {} is a member of the staff in the configuration",
                    row.telegram_id
                ),
            });
        }
        !is_staff
    });
    read.problems.sort_by_key(|p| p.line);
    let db = &config.database.path;
    if dry_run || !read.problems.is_empty() {
        return Ok(Report {
            imported: import::check(db, &read.rows)?,
            problems: read.problems,
            written: false,
        });
    }
    let imported = import::import(db, &read.rows, crate::now_ms(), |i| audit_entry(file, i))?;
    Ok(Report {
        imported,
        problems: Vec::new(),
        written: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(read: &Read) -> Vec<String> {
        read.problems.iter().map(Problem::to_string).collect()
    }

    #[test]
    fn csv_rows_are_checked_with_their_lines() {
        let text = "telegram_id,name,username,email,verified\n\
                    1,Ann,@ann,ann@example.com,true\n\
                    2,\"Bob\nBobson\",,,false\n\
                    x,,bad name,bob@,maybe\n\
                    1,Again,,,\n\
                    4,Dan,,,true\n\
                    5,Eve\n";
        let read = read(Path::new("c.csv"), text);
        assert_eq!(
            read.rows
                .iter()
                .map(|r| (r.line, r.telegram_id))
                .collect::<Vec<_>>(),
            [(2, 1), (3, 2)]
        );
        assert_eq!(read.rows[0].username.as_deref(), Some("ann"));
        assert!(read.rows[0].verified && !read.rows[1].verified);
        assert_eq!(
            lines(&read),
            [
                "line 5: telegram_id must be a positive whole number, got \"x\"",
                "line 5: name is missing",
                "line 5: username \"bad name\" is not a Telegram username (letters, digits and _, up to 32)",
                "line 5: email \"bob@\" is refused: the part after the @ is not a domain with a dot",
                "line 5: verified must be true or false, got \"maybe\"",
                "line 6: telegram_id 1 is on line 2 already",
                "line 7: a verified customer needs an email",
                "line 8: has 2 fields, the header 5",
            ]
        );
        let read = super::read(Path::new("c.csv"), "id,name\n");
        assert_eq!(
            lines(&read),
            [
                "line 1: unknown column \"id\" (the columns are telegram_id, name, username, email, verified)",
                "line 1: the header has no telegram_id column"
            ]
        );
    }

    #[test]
    fn json_rows_are_checked_with_their_lines() {
        let text = "[\n  {\"telegram_id\": 1, \"name\": \"Ann\", \"email\": \"ann@example.com\", \"verified\": true},\n  {\"telegram_id\": -2,\n   \"name\": \"Bob\", \"verified\": \"yes\"},\n  {\"telegram_id\": 3, \"name\": \"C\", \"phone\": 1},\n  7\n]\n";
        let read = read(Path::new("c.txt"), text);
        assert_eq!(read.rows.len(), 1);
        assert_eq!(
            read.rows[0].email.as_ref().unwrap().as_str(),
            "ann@example.com"
        );
        assert_eq!(
            lines(&read),
            [
                "line 3: telegram_id must be a positive whole number, got -2",
                "line 3: verified must be true or false, got \"yes\"",
                "line 5: unknown field \"phone\" (the fields are telegram_id, name, username, email, verified)",
                "line 6: expected an object, got 7",
            ]
        );
        for (text, problem) in [
            ("{}", "line 1: expected a JSON array of customers"),
            ("[\n{\"telegram_id\": 1,", "line 2: not JSON"),
            ("[]\n[]", "line 2: text after the array"),
            (
                "[{\"telegram_id\": 1, \"name\": \"A\"}\n{",
                "line 2: expected , or ]",
            ),
        ] {
            let read = super::read(Path::new("c.json"), text);
            assert!(
                lines(&read).first().is_some_and(|l| l.starts_with(problem)),
                "{text:?}: {:?}",
                lines(&read)
            );
        }
        assert!(
            super::read(Path::new("c.json"), " [ ] ")
                .problems
                .is_empty()
        );
    }
}
