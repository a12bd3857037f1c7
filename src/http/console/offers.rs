//! What a communication's page offers its specialist (SPEC §8 with §7): the canned
//! answers with their placeholders filled for it, and where it can be transferred
//! (colleagues, the busy ones marked, and the other departments' queues).

use super::acting::active;
use super::session::Signed;
use super::{Console, Result};
use crate::domain::{CommId, StaffId, fill_canned};
use crate::store::console::CommHeader;

/// A canned answer as offered: its key, title and text with the placeholders
/// filled for this communication.
pub struct CannedShown {
    pub key: String,
    pub title: String,
    pub text: String,
}

/// Where a communication can be transferred: `value` is the form's (`s:ID` a
/// colleague, `d:N` the queue of department N from 1).
pub struct Target {
    pub value: String,
    pub label: String,
    pub busy: bool,
}

/// What the toolbox of `c`'s page offers `who` (nothing unless it is their active
/// communication).
#[derive(Default)]
pub struct Tools {
    pub canned: Vec<CannedShown>,
    pub targets: Vec<Target>,
}

pub async fn tools(console: &Console, who: &Signed, c: &CommHeader) -> Result<Tools> {
    if !active(who, c) {
        return Ok(Tools::default());
    }
    let (stored, busy) = console
        .processor()
        .store()
        .run(|conn| {
            Ok((
                crate::store::desk::canned_answers(conn)?,
                crate::store::desk::busy(conn)?,
            ))
        })
        .await?;
    let policy = console.processor().policy();
    let comm = CommId(c.id);
    let canned = policy
        .canned_with(&stored)
        .into_iter()
        .map(|a| CannedShown {
            text: fill_canned(&a.text, &c.first_name, &who.name, comm),
            key: a.key,
            title: a.title,
        })
        .collect();
    let same_department = |s: StaffId| {
        policy
            .department(&c.department)
            .is_none_or(|dep| dep.specialists.contains(&s))
    };
    let mut others: Vec<_> = policy
        .specialists
        .iter()
        .filter(|s| s.chat_id != who.staff)
        .collect();
    others.sort_by_key(|s| !same_department(s.chat_id));
    let mut targets: Vec<Target> = others
        .into_iter()
        .map(|s| {
            let busy = busy.iter().any(|(b, _)| *b == s.chat_id);
            Target {
                value: format!("s:{}", s.chat_id.0),
                label: if busy {
                    format!("{} (busy)", s.name)
                } else {
                    s.name.clone()
                },
                busy,
            }
        })
        .collect();
    if policy.has_departments() {
        for (i, dep) in policy.departments.iter().enumerate() {
            if dep.key != c.department {
                targets.push(Target {
                    value: format!("d:{}", i + 1),
                    label: format!("Queue of {}", dep.name),
                    busy: false,
                });
            }
        }
    }
    Ok(Tools { canned, targets })
}
