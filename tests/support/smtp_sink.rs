//! The SMTP sink: the testkit's mail catcher (`testkit::mail_catcher`, in
//! crates/testkit), the same one `relaydesk demo` plays against.

pub use testkit::mail_catcher::*;
