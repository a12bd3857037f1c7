//! The moment and the settings a decision is made with, and the language of the
//! customer it concerns (SPEC §9).

use super::texts::{Lang, Texts};
use super::{Action, ChatId, CodeKey, Communication, Policy, Snapshot, StaffId};

/// The moment and the settings a decision is made with.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub now: i64,
    /// A fresh random 6-digit code, used if the decision issues one.
    pub fresh_code: &'a str,
    pub policy: &'a Policy,
    /// The installation's key for the hashes of codes.
    pub code_key: &'a CodeKey,
    /// The staff's texts (`texts.locale`); a customer's are [`Env::to_customer`].
    pub texts: &'a Texts,
    /// The texts of the customer concerned, set by [`decide`] (SPEC §9).
    pub customer: Option<&'a Lang>,
}

impl Env<'_> {
    /// The texts for the customer concerned: their Telegram language (the action's
    /// own when they act, else the one stored), or `texts.locale`.
    pub fn to_customer(&self) -> &Lang {
        self.customer.unwrap_or_else(|| self.texts.staff())
    }

    pub fn specialist_name(&self, id: StaffId) -> String {
        self.policy.specialist_name(id)
    }

    /// Service groups and controllers: everyone who is told about the desk.
    pub fn watchers(&self) -> Vec<ChatId> {
        self.policy.watchers()
    }

    /// Who is told about this communication: its department's groups (all groups
    /// without departments) and the controllers.
    pub fn watchers_of(&self, comm: &Communication) -> Vec<ChatId> {
        self.policy.watchers_of(&comm.department)
    }
}

/// The Telegram language of the customer an action concerns: theirs as the
/// update tells when they act, else the one stored.
pub(super) fn customer_language<'a>(
    action: &'a Action,
    snap: &'a Snapshot,
    policy: &Policy,
) -> Option<&'a str> {
    let acting = match action {
        Action::Message(m) | Action::Edited(m) => Some(&m.from),
        Action::Command { from, .. } | Action::Press { from, .. } => Some(from),
        _ => None,
    };
    acting
        .filter(|u| !policy.is_specialist(u.as_staff()) && !policy.is_controller(u.as_staff()))
        .and_then(|u| u.language.as_deref())
        .or_else(|| snap.customer.as_ref()?.user.language.as_deref())
}
