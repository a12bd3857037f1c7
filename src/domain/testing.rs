//! Fixtures for the core's unit tests outside `tests/` (rendering, needs,
//! transcripts): a desk with Anna, and Ann, a verified customer.

use super::{Customer, CustomerState, EmailAddress, Member, Policy, StaffId, User};

/// A desk whose one specialist is Anna (id 5).
pub fn anna_desk() -> Policy {
    Policy {
        specialists: vec![Member {
            chat_id: StaffId(5),
            name: "Anna".into(),
        }],
        ..Policy::default()
    }
}

/// Ann (id 42, @ann, ann@example.com), verified, named `first_name`.
pub fn verified_customer(first_name: &str) -> Customer {
    Customer {
        user: User {
            id: 42,
            first_name: first_name.into(),
            username: Some("ann".into()),
            ..User::default()
        },
        email: Some(EmailAddress::parse("ann@example.com").unwrap()),
        state: CustomerState::Verified,
        blocked: false,
        banned: false,
        ban_told: false,
    }
}
