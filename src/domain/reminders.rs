//! Reminders, escalation and the close warning (SPEC §6.3): the steps of a request
//! waiting for a Take or for an answer, fired from the deadlines table.

use super::announce::{ms, take_keyboard, take_keyboard_for};
use super::render;
use super::{Change, CommId, DeadlineKind, Decision, Env, Outgoing, Snapshot, Status};

pub(super) fn has_deadline(snap: &Snapshot, kind: DeadlineKind) -> bool {
    snap.deadlines.iter().any(|x| x.kind == kind)
}

pub(super) fn steps_of<'a>(kind: DeadlineKind, env: &Env<'a>) -> &'a [std::time::Duration] {
    match kind {
        DeadlineKind::Unassigned => &env.policy.unassigned_steps,
        DeadlineKind::Unanswered => &env.policy.unanswered_steps,
        DeadlineKind::IdleClose | DeadlineKind::CloseWarning => &[],
    }
}

/// Start the reminder steps of `kind` from now (nothing when the list is empty).
pub(super) fn start_steps(comm: CommId, kind: DeadlineKind, env: &Env<'_>, d: &mut Decision) {
    if let Some(first) = steps_of(kind, env).first() {
        d.change(Change::Schedule {
            comm,
            kind,
            step: 0,
            started_at: env.now,
            due_at: Some(env.policy.after_counted(env.now, ms(*first))),
        });
    }
}

/// A span of time as people read it: `1h 5m`, `15m`, `3s`.
pub fn span_text(ms: i64) -> String {
    let secs = (ms.max(0) + 500) / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if (s > 0 && h == 0) || parts.is_empty() {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

/// A deadline other than the timeout close passed: a reminder step or the close
/// warning, if it is still due and its condition still holds (SPEC §6.3).
pub fn reminder(kind: DeadlineKind, snap: &Snapshot, env: &Env<'_>, d: &mut Decision) {
    let Some(comm) = &snap.communication else {
        return;
    };
    let Some(deadline) = snap.deadlines.iter().find(|x| x.kind == kind).copied() else {
        return;
    };
    if deadline.due_at.is_none_or(|t| t > env.now) {
        return;
    }
    let holds = match kind {
        DeadlineKind::Unassigned => comm.status == Status::Unassigned,
        DeadlineKind::Unanswered | DeadlineKind::CloseWarning => {
            comm.status == Status::Assigned && comm.specialist_id.is_some()
        }
        DeadlineKind::IdleClose => false,
    };
    if !holds {
        d.change(Change::Unschedule {
            comm: comm.id,
            kind,
        });
        return;
    }
    if kind == DeadlineKind::CloseWarning {
        d.change(Change::Unschedule {
            comm: comm.id,
            kind,
        });
        if let Some(close_at) = comm.idle_deadline.filter(|t| *t > env.now) {
            d.tell_customer(
                comm.customer_id,
                env.to_customer().render(
                    "close_warning",
                    &[
                        ("id", &comm.id.to_string()),
                        ("left", &span_text(close_at - env.now)),
                    ],
                ),
            );
        }
        return;
    }
    let steps = steps_of(kind, env);
    let at = |i: usize| env.policy.after_counted(deadline.started_at, ms(steps[i]));
    let from = usize::try_from(deadline.step).unwrap_or(usize::MAX);
    let done = |d: &mut Decision| {
        d.change(Change::Schedule {
            comm: comm.id,
            kind,
            step: u32::try_from(steps.len()).unwrap_or(u32::MAX),
            started_at: deadline.started_at,
            due_at: None,
        })
    };
    // The latest step due: the ones before it fell due while the service was down
    // and are skipped, so a restart fires one reminder, not a burst.
    let Some(fire) = (from..steps.len()).rev().find(|&i| at(i) <= env.now) else {
        // The steps changed with the configuration: wait for the one now due.
        if from < steps.len() {
            d.change(Change::Schedule {
                comm: comm.id,
                kind,
                step: deadline.step,
                started_at: deadline.started_at,
                due_at: Some(at(from)),
            });
        } else {
            done(d);
        }
        return;
    };
    let last = fire + 1 == steps.len();
    let waiting = span_text(env.policy.counted_ms(deadline.started_at, env.now));
    let id_text = comm.id.to_string();
    match kind {
        DeadlineKind::Unassigned => {
            let customer = snap
                .customer
                .as_ref()
                .map(render::customer_line)
                .unwrap_or_default();
            let vars = [
                ("id", id_text.as_str()),
                ("waiting", waiting.as_str()),
                ("customer", customer.as_str()),
            ];
            let text = env.texts.render_html("reminder_unassigned", &vars);
            for chat in env.policy.groups_of(&comm.department) {
                d.send(
                    Outgoing::html(chat, text.clone()).with_buttons(take_keyboard(comm.id, env)),
                );
            }
            if last {
                let text = env.texts.render_html("escalation_unassigned", &vars);
                for controller in env.policy.controllers.iter().copied() {
                    let chat = controller.chat();
                    let mut message = Outgoing::html(chat, text.clone());
                    if let Some(k) = take_keyboard_for(chat, comm.id, env) {
                        message = message.with_buttons(k);
                    }
                    d.send(message);
                }
            }
        }
        _ => {
            let Some(specialist) = comm.specialist_id else {
                return;
            };
            d.say(
                specialist.chat(),
                env.texts.render(
                    "reminder_unanswered",
                    &[("id", &id_text), ("waiting", &waiting)],
                ),
            );
            if last {
                let text = env.texts.render(
                    "escalation_unanswered",
                    &[
                        ("id", &id_text),
                        ("waiting", &waiting),
                        ("name", &env.specialist_name(specialist)),
                    ],
                );
                for controller in env.policy.controllers.iter().copied() {
                    d.say(controller.chat(), text.clone());
                }
            }
        }
    }
    let step = u32::try_from(fire).unwrap_or(u32::MAX);
    d.change(Change::ReminderSent {
        comm: comm.id,
        kind,
        step,
        escalated: last,
    });
    if last {
        done(d);
    } else {
        d.change(Change::Schedule {
            comm: comm.id,
            kind,
            step: step + 1,
            started_at: deadline.started_at,
            due_at: Some(at(fire + 1)),
        });
    }
}
