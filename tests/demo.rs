//! `relaydesk demo` runs to completion and its archive holds the transcript and the
//! photo, byte for byte.

use std::process::Command;

/// The photo the demo's customer sends (the binary's src/demo/tracking_page.jpg).
const DEMO_PHOTO: &[u8] = include_bytes!("../src/demo/tracking_page.jpg");

#[test]
fn the_demo_runs_to_completion_and_archives_the_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_relaydesk"))
        .arg("demo")
        .arg("--dir")
        .arg(dir.path())
        .env_remove("RELAYDESK_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("JOURNAL_STREAM")
        .output()
        .expect("run relaydesk demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    for needle in [
        "Maria sees in Telegram",
        "Anna sees in Telegram",
        "The Support group sees in Telegram",
        "The mailbox of maria@example.com",
        "Your confirmation code",
        "[Take]",
        "(copy of Maria's message “Thank you!”)",
        "Archive written to:",
    ] {
        assert!(stdout.contains(needle), "{needle:?} missing:\n{stdout}");
    }

    // The archive: one customer, one communication, under the folder given.
    let customer = dir.path().join("archive").join("2001");
    let comms: Vec<_> = std::fs::read_dir(&customer)
        .unwrap_or_else(|e| panic!("{}: {e}\n{stdout}", customer.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(comms.len(), 1, "{comms:?}");
    let folder = &comms[0];
    let printed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Archive written to: "))
        .expect("the archive path is printed");
    assert_eq!(
        std::fs::canonicalize(printed).unwrap(),
        std::fs::canonicalize(folder).unwrap()
    );

    let transcript = std::fs::read_to_string(folder.join("transcript.txt")).unwrap();
    for needle in [
        "Hello! My order #1042 has not arrived.",
        "Hi Maria, I am checking with the courier.",
        "Thank you!",
        "It will arrive tomorrow. Closing this request.",
        "Close reason",
    ] {
        assert!(
            transcript.contains(needle),
            "{needle:?} missing:\n{transcript}"
        );
    }

    let files: Vec<_> = std::fs::read_dir(folder.join("files"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(std::fs::read(&files[0]).unwrap(), DEMO_PHOTO);
    assert!(
        transcript.contains(&format!(
            "files/{}",
            files[0].file_name().unwrap().to_string_lossy()
        )),
        "the transcript refers to the photo:\n{transcript}"
    );
}

#[test]
fn the_demo_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_relaydesk"))
        .arg("demo")
        .arg("--dir")
        .arg(dir.path())
        .env_remove("RELAYDESK_CONFIG")
        .output()
        .expect("run relaydesk demo");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
        "mine"
    );
}
