//! An email address as the help desk accepts it.

use std::fmt;

/// A validated email address: one `@`, a local part, a dotted domain, at most 254
/// characters, and accepted by lettre (so it can be mailed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

/// Why an address was refused; each has its own helpful reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailError {
    Empty,
    TooLong,
    NoAt,
    ManyAt,
    NoLocalPart,
    NoDottedDomain,
    Invalid,
}

impl EmailError {
    /// The text key of the reply.
    pub fn text_key(self) -> &'static str {
        match self {
            EmailError::Empty => "email_empty",
            EmailError::TooLong => "email_too_long",
            EmailError::NoAt => "email_no_at",
            EmailError::ManyAt => "email_many_at",
            EmailError::NoLocalPart => "email_no_local",
            EmailError::NoDottedDomain => "email_no_domain",
            EmailError::Invalid => "email_invalid",
        }
    }
}

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, EmailError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        let ats = s.matches('@').count();
        if ats == 0 {
            return Err(EmailError::NoAt);
        }
        if ats > 1 {
            return Err(EmailError::ManyAt);
        }
        let (local, domain) = s.split_once('@').ok_or(EmailError::NoAt)?;
        if local.is_empty() {
            return Err(EmailError::NoLocalPart);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
            return Err(EmailError::NoDottedDomain);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control())
            || s.parse::<lettre::Address>().is_err()
        {
            return Err(EmailError::Invalid);
        }
        // Domains are case-insensitive; keep the local part as written.
        Ok(EmailAddress(format!("{local}@{}", domain.to_lowercase())))
    }

    /// An address as the database holds it, taken as it is. Only addresses that
    /// [`parse`](EmailAddress::parse)d are ever written there, so this is no way
    /// around the checks; it only spares reading a stored row a panic or an error
    /// if a later version's checks were stricter (the address is still shown and
    /// mailed as it was accepted).
    pub fn from_stored(stored: String) -> EmailAddress {
        EmailAddress(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_addresses() {
        for ok in ["ann@example.com", " Ann.Lee+x@Mail.Example.ORG ", "a@b.co"] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            EmailAddress::parse("Ann@EXAMPLE.com").unwrap().as_str(),
            "Ann@example.com"
        );
    }

    #[test]
    fn bad_addresses_have_reasons() {
        let cases = [
            ("", EmailError::Empty),
            ("annexample.com", EmailError::NoAt),
            ("a@b@example.com", EmailError::ManyAt),
            ("@example.com", EmailError::NoLocalPart),
            ("ann@localhost", EmailError::NoDottedDomain),
            ("ann@example.", EmailError::NoDottedDomain),
            ("ann@.com", EmailError::NoDottedDomain),
            ("an n@example.com", EmailError::Invalid),
            ("ann<@example.com", EmailError::Invalid),
        ];
        for (input, why) in cases {
            assert_eq!(EmailAddress::parse(input), Err(why), "{input:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
    }
}
