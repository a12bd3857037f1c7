//! Departments (SPEC §7.2): with two or more, a new request waits for the customer
//! to pick one (a button, or its number typed), then opens in that department's
//! queue; its announcements, reminders and Take stay with that department.

use super::announce::announce;
use super::reminders::start_steps;
use super::{
    Button, Change, Communication, Customer, DeadlineKind, Decision, Env, Incoming, Key, Keyboard,
    Kind, LogEntry, Press, Role, Snapshot, User,
};

/// The department buttons for a request waiting for its department.
pub(super) fn ask_department(comm: &Communication, env: &Env<'_>, d: &mut Decision) {
    let rows = env
        .policy
        .departments
        .iter()
        .enumerate()
        .map(|(i, dep)| {
            vec![Key::new(
                format!("{}. {}", i + 1, dep.name),
                Button::Department {
                    comm: comm.id,
                    department: u16::try_from(i + 1).unwrap_or(u16::MAX),
                },
            )]
        })
        .collect();
    d.send_for(
        super::Outgoing::html(
            comm.customer_id.chat(),
            env.to_customer().render("choose_department", &[]),
        )
        .with_buttons(Keyboard(rows)),
        Some(super::Purpose::Notice {
            customer: comm.customer_id,
        }),
        None,
    );
}

/// The department numbered `n` (from 1), if there is one.
fn numbered<'a>(env: &Env<'a>, n: u16) -> Option<&'a super::Department> {
    usize::from(n)
        .checked_sub(1)
        .and_then(|i| env.policy.departments.get(i))
}

/// The customer writes while their request waits for a department: a number picks
/// one; anything else is kept with the request, and the question asked again.
pub(super) fn while_choosing(
    m: &Incoming,
    comm: &Communication,
    customer: &Customer,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let typed = (m.kind() == Kind::Text)
        .then_some(m.text.as_deref())
        .flatten()
        .and_then(|t| t.trim().trim_end_matches('.').parse::<u16>().ok())
        .filter(|n| numbered(env, *n).is_some());
    if let Some(n) = typed {
        open_in(comm, n, customer, snap, env, d);
        return;
    }
    d.change(Change::Log {
        comm: comm.id,
        role: Role::Customer,
        message: m.clone(),
    });
    ask_department(comm, env, d);
}

/// A press on a department button.
pub(super) fn pressed(
    press: &Press,
    from: &User,
    comm_id: super::CommId,
    n: u16,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let waiting = snap
        .communication
        .as_ref()
        .filter(|c| c.id == comm_id && c.choosing && c.customer_id == from.as_customer());
    let (Some(comm), Some(customer), Some(_)) = (waiting, &snap.customer, numbered(env, n)) else {
        d.answer(
            press,
            env.to_customer().render_plain("button_stale", &[]),
            false,
        );
        return;
    };
    d.answer(press, String::new(), false);
    open_in(comm, n, customer, snap, env, d);
}

/// Open the waiting request in department `n`: announced in its groups with the
/// messages kept so far.
fn open_in(
    comm: &Communication,
    n: u16,
    customer: &Customer,
    snap: &Snapshot,
    env: &Env<'_>,
    d: &mut Decision,
) {
    let Some(department) = numbered(env, n) else {
        return;
    };
    d.change(Change::SetDepartment {
        comm: comm.id,
        department: department.key.clone(),
    });
    let mut opened = comm.clone();
    opened.department = department.key.clone();
    opened.choosing = false;
    d.tell_customer(
        customer.user.as_customer(),
        env.to_customer()
            .render("department_chosen", &[("department", &department.name)]),
    );
    open_in_queue(&opened, customer, &snap.log, env, d);
}

/// A new request enters its queue: announced, its reminder steps started, the
/// customer told (and, outside working hours, when the team is back).
pub(super) fn open_in_queue(
    comm: &Communication,
    customer: &Customer,
    log: &[LogEntry],
    env: &Env<'_>,
    d: &mut Decision,
) {
    announce(comm, customer, log, env, d);
    start_steps(comm.id, DeadlineKind::Unassigned, env, d);
    d.tell_customer(
        customer.user.as_customer(),
        env.to_customer()
            .render("request_received", &[("id", &comm.id.to_string())]),
    );
    if let Some(hours) = &env.policy.hours
        && !hours.is_open(env.now)
        && let Some(next) =
            hours.format_next_opening(env.now, &env.to_customer().render_plain("weekdays", &[]))
    {
        d.tell_customer(
            customer.user.as_customer(),
            env.to_customer()
                .render("outside_hours", &[("next", &next)]),
        );
    }
}
