//! The writer thread's group commits: the jobs waiting for it (updates, console
//! actions, other writes), committed together in one transaction, each job in a
//! savepoint of its own only when one of them fails.

use std::panic::AssertUnwindSafe;

use rusqlite::Connection;
use tracing::{debug, error};

use super::{Acted, Applied, Ingested, Read, Shared};
use super::{apply_acted, ingest_in, panic_message, record_panic};
use crate::domain::Action;
use crate::error::Result;
use crate::store::updates::Source;
use crate::store::{self, Cached, Store};

/// Writes waiting for the writer thread, which commits them in groups: one
/// transaction (one sync to disk) for every update (and outbox result) that arrived
/// meanwhile, each in a savepoint of its own. Nothing is acknowledged before its
/// group is committed.
pub(super) struct Writer {
    pub(super) jobs: std::sync::mpsc::Sender<Job>,
}

/// A write that may run twice (see [`commit_group`]): `Fn`, not `FnOnce`.
type Work = Box<dyn Fn(&Connection) -> Result<()> + Send>;

pub(super) enum Job {
    /// An update from the webhook or the poller.
    Update {
        body: Vec<u8>,
        read: Read,
        source: Source,
        reply: tokio::sync::oneshot::Sender<Result<(Ingested, Applied)>>,
    },
    /// An action of another front end (the web console): decided and applied like
    /// an update's, answered with the words for whoever acted.
    Act {
        action: Box<Action>,
        reply: tokio::sync::oneshot::Sender<Result<Acted>>,
    },
    /// Any other write (the outbox recording results), committed with the group.
    Write {
        work: Work,
        reply: tokio::sync::oneshot::Sender<Result<()>>,
    },
}

pub(super) enum Answer {
    Update(Result<(Ingested, Applied)>),
    Act(Result<Acted>),
    Write(Result<()>),
}

impl Job {
    fn answer(self, answer: Answer) {
        match (self, answer) {
            (Job::Update { reply, .. }, Answer::Update(r)) => {
                let _ = reply.send(r);
            }
            (Job::Write { reply, .. }, Answer::Write(r)) => {
                let _ = reply.send(r);
            }
            (Job::Act { reply, .. }, Answer::Act(r)) => {
                let _ = reply.send(r);
            }
            (job, _) => job.fail("mismatched answer"),
        }
    }

    fn fail(self, why: &str) {
        let e = || crate::Error::Task(format!("not committed: {why}"));
        match self {
            Job::Update { reply, .. } => {
                let _ = reply.send(Err(e()));
            }
            Job::Write { reply, .. } => {
                let _ = reply.send(Err(e()));
            }
            Job::Act { reply, .. } => {
                let _ = reply.send(Err(e()));
            }
        }
    }
}

/// A handle to commit writes together with the updates (see
/// [`Processor::committer`](super::Processor::committer)).
#[derive(Clone)]
pub struct Committer(pub(super) std::sync::mpsc::Sender<Job>);

impl Committer {
    /// Run `work` inside the next group transaction; returns once it is committed.
    pub async fn write<F>(&self, work: F) -> Result<()>
    where
        F: Fn(&Connection) -> Result<()> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.0
            .send(Job::Write {
                work: Box::new(work),
                reply,
            })
            .map_err(|_| crate::Error::Task("the writer thread has stopped".into()))?;
        answer
            .await
            .map_err(|_| crate::Error::Task("the writer thread has stopped".into()))?
    }
}

/// Most updates committed in one transaction.
const GROUP: usize = 128;

/// The writer thread: take every job waiting (up to [`GROUP`]), apply each in its
/// own savepoint inside one transaction, commit, then answer them all.
pub(super) fn write_groups(store: &Store, shared: &Shared, queue: &std::sync::mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        while jobs.len() < GROUP {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut conn = store.lock();
        let results = commit_group(&mut conn, &jobs, shared);
        drop(conn);
        match results {
            Ok(answers) => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    job.answer(answer);
                }
            }
            Err(e) => {
                error!(error = %e, jobs = jobs.len(), "could not commit a group of writes");
                let why = e.to_string();
                for job in jobs {
                    job.fail(&why);
                }
            }
        }
    }
}

/// Commit a group: first all together without savepoints (the usual case: every
/// job succeeds); if any job fails or panics, that attempt is rolled back and the
/// group runs again with each job in its own savepoint, so that one bad job costs
/// only itself. Jobs can run twice: nothing but the database sees the first try.
pub(super) fn commit_group(
    conn: &mut Connection,
    jobs: &[Job],
    shared: &Shared,
) -> Result<Vec<Answer>> {
    if let Some(answers) = all_or_nothing(conn, jobs, shared)? {
        return Ok(answers);
    }
    debug!(
        jobs = jobs.len(),
        "a job of the group failed; running the group again, each job in a savepoint"
    );
    one_by_one(conn, jobs, shared)
}

/// Every job in one transaction, no savepoints: the answers, or `None` (and nothing
/// written) when a job failed.
fn all_or_nothing(
    conn: &mut Connection,
    jobs: &[Job],
    shared: &Shared,
) -> Result<Option<Vec<Answer>>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let now = crate::now_ms();
    let answers = store::optimistically(|| {
        let mut answers = Vec::with_capacity(jobs.len());
        for job in jobs {
            match std::panic::catch_unwind(AssertUnwindSafe(|| run_job(&tx, job, shared, now))) {
                Ok(Ok(answer)) => answers.push(answer),
                _ => return None,
            }
        }
        Some(answers)
    });
    match answers {
        Some(answers) => {
            tx.commit()?;
            Ok(Some(answers))
        }
        // Dropping the transaction rolls the attempt back.
        None => Ok(None),
    }
}

/// One job's work: its answer, or its error.
fn run_job(tx: &Connection, job: &Job, shared: &Shared, now: i64) -> Result<Answer> {
    match job {
        Job::Update {
            body, read, source, ..
        } => match read {
            Read::Panicked(what) => record_panic(tx, body, *source, what, now),
            read => ingest_in(tx, body, read, *source, shared, now),
        }
        .map(|done| Answer::Update(Ok(done))),
        Job::Write { work, .. } => work(tx).map(|()| Answer::Write(Ok(()))),
        Job::Act { action, .. } => {
            apply_acted(tx, action, shared, now).map(|acted| Answer::Act(Ok(acted)))
        }
    }
}

/// Each job in its own savepoint: a job that fails or panics is rolled back alone
/// (and answered with its error: an update is then not acknowledged).
fn one_by_one(conn: &mut Connection, jobs: &[Job], shared: &Shared) -> Result<Vec<Answer>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let now = crate::now_ms();
    let mut answers = Vec::with_capacity(jobs.len());
    for job in jobs {
        tx.run_each(&["SAVEPOINT job"])?;
        match std::panic::catch_unwind(AssertUnwindSafe(|| run_job(&tx, job, shared, now))) {
            Ok(Ok(answer)) => {
                tx.run_each(&["RELEASE job"])?;
                answers.push(answer);
            }
            Ok(Err(e)) => {
                tx.run_each(&["ROLLBACK TO job", "RELEASE job"])?;
                answers.push(match job {
                    Job::Update { .. } => Answer::Update(Err(e)),
                    Job::Write { .. } => Answer::Write(Err(e)),
                    Job::Act { .. } => Answer::Act(Err(e)),
                });
            }
            Err(panic) => {
                tx.run_each(&["ROLLBACK TO job", "RELEASE job"])?;
                let what = panic_message(&panic);
                answers.push(match job {
                    Job::Update { body, source, .. } => {
                        error!(panic = %what, "bug: handling an update panicked; recorded as failed");
                        Answer::Update(record_panic(&tx, body, *source, &what, now))
                    }
                    Job::Write { .. } => {
                        error!(panic = %what, "bug: a write panicked");
                        Answer::Write(Err(crate::Error::Task(what)))
                    }
                    Job::Act { .. } => {
                        error!(panic = %what, "bug: a console action panicked");
                        Answer::Act(Err(crate::Error::Task(what)))
                    }
                });
            }
        }
    }
    tx.commit()?;
    Ok(answers)
}
