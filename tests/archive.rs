//! The archive on disk and as zips: transcripts written as messages arrive, every
//! file downloaded byte for byte, hostile file names kept inside `files/`.

mod support;

use std::io::Read;
use std::path::PathBuf;

use serde_json::json;
use support::app::{PROMPTLY, wait_until};
use support::desk::{ANNA, Desk, GROUP, document, photo};

const ANN: i64 = 4242;

fn folder(desk: &Desk, comm: i64) -> PathBuf {
    desk.app
        .files
        .archive_dir
        .join(ANN.to_string())
        .join(comm.to_string())
}

async fn wait_file(path: PathBuf, contains: &str) -> String {
    let what = format!("{} to contain {contains:?}", path.display());
    wait_until(&what, PROMPTLY, || {
        std::fs::read_to_string(&path).is_ok_and(|t| t.contains(contains))
    })
    .await;
    std::fs::read_to_string(&path).unwrap()
}

#[tokio::test]
async fn a_conversation_is_archived_with_its_files_and_zipped() {
    let desk = Desk::start().await;
    let photo_bytes: Vec<u8> = (0..40_000u32).map(|i| (i * 31 % 256) as u8).collect();
    let doc_bytes = b"%PDF-1.4 the manual\n".repeat(500);
    desk.fake.add_file("photo-1", photo_bytes.clone());
    desk.fake.add_file("doc-1", doc_bytes.clone());
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "The printer is broken").await;
    // Written as messages arrive, before any close.
    let transcript = folder(&desk, id).join("transcript.txt");
    wait_file(transcript.clone(), "The printer is broken").await;

    desk.press(ANNA, GROUP, &format!("t:{id}")).await;
    desk.wait_answer("is yours").await;
    desk.send(ANN, photo("photo-1", Some("see the paper tray"), None))
        .await;
    desk.say(ANNA, "Thanks, here is the manual").await;
    let doc_msg = desk.send(ANNA, document("doc-1", "manual.pdf")).await;
    desk.say(ANN, "It works now!").await;
    desk.drained().await;
    desk.say(ANNA, "/close").await;
    desk.wait_text(ANN, "is closed").await;

    let text = wait_file(transcript, "Close reason").await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0] == format!("Communication #{id}"), "{text}");
    assert!(
        text.contains("Customer: Test (@user4242), Telegram id 4242, email ann@example.com"),
        "{text}"
    );
    assert!(text.contains("Anna (id 501): took"), "{text}");
    let order = [
        "The printer is broken",
        "see the paper tray",
        "Thanks, here is the manual",
        "manual.pdf",
        "It works now!",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|needle| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle} missing:\n{text}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "out of order:\n{text}"
    );

    // Both files, byte for byte.
    let files = folder(&desk, id).join("files");
    let saved_doc = files.join(format!("{doc_msg}-manual.pdf"));
    wait_until("both files saved", PROMPTLY, || {
        std::fs::read_dir(&files).map(|d| d.count()).unwrap_or(0) == 2
    })
    .await;
    assert_eq!(std::fs::read(&saved_doc).unwrap(), doc_bytes);
    let saved_photo = std::fs::read_dir(&files)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-photo.jpg"))
        .expect("the photo is saved");
    assert_eq!(std::fs::read(&saved_photo).unwrap(), photo_bytes);
    let text = wait_file(folder(&desk, id).join("transcript.txt"), "files/").await;
    assert!(!text.contains("downloading"), "{text}");

    // The zip, through the history menu: the same transcript and files.
    desk.press(ANNA, ANNA, &format!("as:{id}")).await;
    let shown = desk.wait_text(ANNA, &format!("Communication #{id}")).await;
    assert_eq!(shown.buttons()[0].1, format!("az:{id}"));
    desk.press(ANNA, ANNA, &format!("az:{id}")).await;
    let calls = desk
        .fake
        .wait_for("the zip", PROMPTLY, |calls| {
            calls.iter().any(|c| c.is("sendDocument") && c.ok)
        })
        .await;
    let upload = calls.iter().find(|c| c.is("sendDocument") && c.ok).unwrap();
    assert_eq!(upload.chat_id(), Some(ANNA));
    let (_, name, bytes) = upload.file("document").expect("a document part");
    assert_eq!(name, &format!("communication-{id}.zip"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let mut entries = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut v = Vec::new();
        f.read_to_end(&mut v).unwrap();
        entries.push((f.name().unwrap().to_string(), v));
    }
    let get = |n: &str| {
        entries
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        get("transcript.txt").unwrap(),
        std::fs::read(folder(&desk, id).join("transcript.txt")).unwrap()
    );
    assert_eq!(
        get(&format!("files/{doc_msg}-manual.pdf")).unwrap(),
        doc_bytes
    );
    assert_eq!(entries.len(), 3);
}

#[tokio::test]
async fn hostile_file_names_stay_inside_files() {
    let desk = Desk::start().await;
    let long = format!("{}.pdf", "n".repeat(300));
    let names = ["../../etc/passwd", "a\0b.txt", long.as_str(), "CON"];
    for (i, _) in names.iter().enumerate() {
        desk.fake
            .add_file(&format!("f{i}"), format!("content {i}").into_bytes());
    }
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "files follow").await;
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        ids.push(desk.send(ANN, document(&format!("f{i}"), name)).await);
    }
    let files = folder(&desk, id).join("files");
    wait_until("four files saved", PROMPTLY, || {
        std::fs::read_dir(&files).map(|d| d.count()).unwrap_or(0) == 4
    })
    .await;
    let root = desk.app.files.dir.path();
    assert!(!root.join("etc").exists());
    for (i, entry) in std::fs::read_dir(&files).unwrap().enumerate() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        assert!(name.len() <= 120, "{name}");
        assert!(
            !name.contains('/') && !name.contains('\0') && !name.starts_with('.'),
            "{name:?}"
        );
        assert_eq!(entry.path().parent().unwrap(), files, "{i}");
    }
    assert_eq!(
        std::fs::read(files.join(format!("{}-passwd", ids[0]))).unwrap(),
        b"content 0"
    );
    assert!(files.join(format!("{}-a_b.txt", ids[1])).exists());
    assert!(files.join(format!("{}-_CON", ids[3])).exists());
    let long_saved = std::fs::read_dir(&files)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with(&format!("{}-", ids[2])))
        .unwrap();
    assert!(
        long_saved.ends_with(".pdf") && long_saved.len() <= 120,
        "{long_saved}"
    );
}

#[tokio::test]
async fn a_file_over_twenty_megabytes_is_recorded_as_too_large() {
    let desk = Desk::start().await;
    desk.fake.add_file_of_size("huge", 25 * 1024 * 1024);
    desk.onboard(ANN, "ann@example.com").await;
    let id = desk.request(ANN, "a big one follows").await;
    desk.send(
        ANN,
        json!({"document": {"file_id": "huge", "file_unique_id": "huge-u", "file_name": "video.mkv", "file_size": 26214400}}),
    )
    .await;
    let text = wait_file(
        folder(&desk, id).join("transcript.txt"),
        "not downloaded: too large",
    )
    .await;
    assert!(text.contains("video.mkv"), "{text}");
    assert!(desk.fake.downloads().is_empty());
}
