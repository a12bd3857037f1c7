//! The writer's group commits: a group that succeeds commits at once, a failing or
//! panicking job costs only itself.

use super::group::{Answer, commit_group};
use super::*;
use crate::config::Config;
use crate::store::testing::{number, temp_store};

fn shared() -> Shared {
    let config = Config::from_toml_str(
        "[telegram]\ntoken = \"1:a\"\n[smtp]\nhost = \"smtp.example.com\"\nfrom = \"Desk <desk@example.com>\"\n",
    )
    .unwrap();
    Shared {
        live: Live::of(config).unwrap(),
        moved: super::wild::Moved::default(),
        code_key: domain::CodeKey::new(&[0; domain::CodeKey::LEN]),
        wakes: Wakes::default(),
        metrics: Arc::default(),
    }
}

fn write(
    work: impl Fn(&Connection) -> Result<()> + Send + 'static,
) -> (Job, tokio::sync::oneshot::Receiver<Result<()>>) {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = Job::Write {
        work: Box::new(work),
        reply,
    };
    (job, answer)
}

fn put(key: &'static str) -> impl Fn(&Connection) -> Result<()> + Send + 'static {
    move |c| store::meta_set(c, key, "1")
}

fn update(id: i64) -> Job {
    let body = format!(r#"{{"update_id":{id},"message":{{"message_id":1,"date":0,"chat":{{"id":-5,"type":"group","title":"g"}},"from":{{"id":77,"is_bot":false,"first_name":"x"}},"text":"hi"}}}}"#)
        .into_bytes();
    let (reply, _answer) = tokio::sync::oneshot::channel();
    Job::Update {
        read: read(&body),
        body,
        source: Source::Webhook,
        reply,
    }
}

fn answers_ok(answers: &[Answer]) -> Vec<bool> {
    answers
        .iter()
        .map(|a| match a {
            Answer::Update(r) => r.is_ok(),
            Answer::Write(r) => r.is_ok(),
            Answer::Act(r) => r.is_ok(),
        })
        .collect()
}

#[test]
fn a_group_that_succeeds_commits_everything_at_once() {
    let (_dir, store) = temp_store();
    let jobs = vec![write(put("a")).0, update(1), write(put("b")).0];
    let answers = commit_group(&mut store.lock(), &jobs, &shared()).unwrap();
    assert_eq!(answers_ok(&answers), vec![true, true, true]);
    let conn = store.lock();
    assert_eq!(store::meta_get(&conn, "a").unwrap().as_deref(), Some("1"));
    assert_eq!(store::meta_get(&conn, "b").unwrap().as_deref(), Some("1"));
    assert_eq!(number(&conn, "SELECT count(*) FROM updates"), 1);
}

#[test]
fn a_failing_or_panicking_job_costs_only_itself() {
    let (_dir, store) = temp_store();
    let jobs = vec![
        write(put("before")).0,
        // Writes, then fails: its write must not survive.
        write(|c| {
            store::meta_set(c, "half", "1")?;
            Err(crate::Error::Invariant("no".into()))
        })
        .0,
        update(1),
        write(|c| {
            store::meta_set(c, "torn", "1")?;
            panic!("a bug")
        })
        .0,
        write(put("after")).0,
    ];
    let answers = commit_group(&mut store.lock(), &jobs, &shared()).unwrap();
    assert_eq!(answers_ok(&answers), vec![true, false, true, false, true]);
    let conn = store.lock();
    for (key, kept) in [
        ("before", true),
        ("half", false),
        ("torn", false),
        ("after", true),
    ] {
        assert_eq!(
            store::meta_get(&conn, key).unwrap().is_some(),
            kept,
            "{key}"
        );
    }
    assert_eq!(
        number(&conn, "SELECT count(*) FROM updates"),
        1,
        "the update is recorded once, not once per attempt"
    );
}

#[test]
fn a_failing_follow_up_inside_a_write_is_undone_alone() {
    let (_dir, store) = temp_store();
    let jobs = vec![
        write(|c| {
            store::meta_set(c, "call", "sent")?;
            crate::runtime::wake::follow_up(c, "a test", |c| {
                store::meta_set(c, "follow", "1")?;
                Err(crate::Error::Invariant("no".into()))
            })
        })
        .0,
    ];
    let answers = commit_group(&mut store.lock(), &jobs, &shared()).unwrap();
    assert_eq!(answers_ok(&answers), vec![true]);
    let conn = store.lock();
    assert_eq!(
        store::meta_get(&conn, "call").unwrap().as_deref(),
        Some("sent")
    );
    assert_eq!(store::meta_get(&conn, "follow").unwrap(), None);
}
