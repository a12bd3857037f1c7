//! `relaydesk import customers FILE` end to end (SPEC §9), beside the running
//! service: every problem reported with its line, a known id skipped and reported,
//! nothing imported while any row is bad, `--dry-run` changing nothing; imported
//! verified customers need no email step.

mod support;

use support::desk::Desk;

const ANN: i64 = 4242;

/// Three good rows (lines 2, 4 and 6), Ann's known id (line 3) and a bad email
/// (line 5).
const WITH_PROBLEMS: &str = "telegram_id,name,username,email,verified\n\
    6001,Olga,olga_k,olga@example.com,true\n\
    4242,Ann again,,ann@example.com,true\n\
    6002,\"Petrov, Ivan\",@ipetrov,ivan@example.com,true\n\
    6004,Bad,,bad@,true\n\
    6003,Rita,,rita@example.org,true\n";

/// The same without the bad row.
const FIXED: &str = "telegram_id,name,username,email,verified\n\
    6001,Olga,olga_k,olga@example.com,true\n\
    4242,Ann again,,ann@example.com,true\n\
    6002,\"Petrov, Ivan\",@ipetrov,ivan@example.com,true\n\
    6003,Rita,,rita@example.org,true\n";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn import(desk: &Desk, name: &str, content: &str, dry_run: bool) -> Run {
    let file = desk.app.files.dir.path().join(name);
    std::fs::write(&file, content).unwrap();
    let mut args = vec!["import", "customers", file.to_str().unwrap()];
    if dry_run {
        args.push("--dry-run");
    }
    let out = desk.cli(&args);
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// What a run must have said, and nothing was changed by it.
fn refused(desk: &Desk, run: &Run, before: (i64, i64)) {
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("line 3: telegram_id 4242 is a customer already: skipped"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(
            "line 5: email \"bad@\" is refused: the part after the @ is not a domain with a dot"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("1 problem in",)
            && run
                .stderr
                .contains("nothing imported (3 customers would be added, 1 known id skipped)"),
        "{}",
        run.stderr
    );
    assert_eq!(counts(desk), before);
}

/// (customers, audit lines)
fn counts(desk: &Desk) -> (i64, i64) {
    (
        desk.app.count("SELECT count(*) FROM customers"),
        desk.app.count("SELECT count(*) FROM audit"),
    )
}

#[tokio::test]
async fn a_bad_row_stops_the_import_and_the_fixed_file_imports_verified_customers() {
    let desk = Desk::start().await;
    desk.onboard(ANN, "ann@example.com").await;
    desk.drained().await;
    let before = counts(&desk);
    assert_eq!(before.0, 1);

    // --dry-run: the problems with their lines, nothing changed.
    let run = import(&desk, "customers.csv", WITH_PROBLEMS, true);
    refused(&desk, &run, before);
    // Without it: nothing imported either, because of the bad row.
    let run = import(&desk, "customers.csv", WITH_PROBLEMS, false);
    refused(&desk, &run, before);
    // The same file as JSON, named without an extension: found by its content;
    // the lines are the file's.
    let json = "[\n\
        {\"telegram_id\": 6001, \"name\": \"Olga\", \"email\": \"olga@example.com\", \"verified\": true},\n\
        {\"telegram_id\": 4242, \"name\": \"Ann again\", \"verified\": false},\n\
        {\"telegram_id\": 6002, \"name\": \"Petrov, Ivan\", \"email\": \"ivan@example.com\", \"verified\": true},\n\
        {\"telegram_id\": 6004, \"name\": \"Bad\", \"email\": \"bad@\", \"verified\": true},\n\
        {\"telegram_id\": 6003, \"name\": \"Rita\", \"email\": \"rita@example.org\", \"verified\": true}\n\
        ]\n";
    let run = import(&desk, "customers", json, true);
    refused(&desk, &run, before);

    // The fixed file: first a dry run, then the import.
    let run = import(&desk, "fixed.csv", FIXED, true);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.ends_with(
            "dry run: 3 customers would be imported, 1 known id skipped; nothing changed\n"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(counts(&desk), before);
    let run = import(&desk, "fixed.csv", FIXED, false);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "line 3: telegram_id 4242 is a customer already: skipped\n\
         3 customers imported, 1 known id skipped\n"
    );
    assert_eq!(counts(&desk), (before.0 + 3, before.1 + 1));
    let fixed = desk.app.files.dir.path().join("fixed.csv");
    let details: String = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT details FROM audit WHERE action = 'import' AND actor = 'system'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        details,
        format!("kind=customers added=3 skipped=1 from={}", fixed.display())
    );
    // Ann is as she was.
    let ann: String = desk
        .app
        .files
        .db()
        .query_row(
            "SELECT first_name FROM customers WHERE id = 4242",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ann, "Test");

    // They are exported as verified, with the names and usernames of the file.
    let exported = desk.export("customers", "csv", &[]);
    assert!(
        exported.contains("\n6002,\"Petrov, Ivan\",ipetrov,ivan@example.com,true,,verified,"),
        "{exported}"
    );

    // An imported customer's first message opens a request: no email step.
    let mails = desk.sink.messages().len();
    let id = desk.request(6001, "Hello, where is my order?").await;
    assert!(id > 0);
    assert_eq!(desk.count_texts(6001, "email address"), 0);
    assert_eq!(desk.sink.messages().len(), mails);
    let status: String = desk.comm_value("status", id);
    assert_eq!(status, "unassigned");

    // Importing the fixed file again: all known, nothing added.
    let run = import(&desk, "fixed.csv", FIXED, false);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .ends_with("0 customers imported, 4 known ids skipped\n"),
        "{}",
        run.stdout
    );
}
