//! The domain's ids as SQLite integers and its email addresses as TEXT (the domain
//! knows nothing of rusqlite).

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::domain::{ChatId, CommId, CustomerId, EmailAddress, MessageId, StaffId};

macro_rules! sql_id {
    ($($name:ident),*) => {$(
        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                i64::column_result(value).map($name)
            }
        }
    )*};
}

sql_id!(CustomerId, CommId, StaffId, ChatId, MessageId);

/// An email address is stored as its TEXT.
impl ToSql for EmailAddress {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

/// Read back as it was written (see [`EmailAddress::from_stored`]): never re-checked,
/// so a stored address that a stricter check would now refuse still loads.
impl FromSql for EmailAddress {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        String::column_result(value).map(EmailAddress::from_stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn ids_and_addresses_are_plain_sql_values() {
        let conn = Connection::open_in_memory().unwrap();
        let (n, typ): (CommId, String) = conn
            .query_row("SELECT ?1, typeof(?1)", [CommId(12)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((n, typ.as_str()), (CommId(12), "integer"));
        let email = EmailAddress::parse("ann@example.com").unwrap();
        let (back, typ): (EmailAddress, String) = conn
            .query_row("SELECT ?1, typeof(?1)", [&email], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((back, typ.as_str()), (email, "text"));
        // A stored address that would not parse today still loads, as it is.
        let odd: EmailAddress = conn
            .query_row("SELECT 'ann@localhost'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(odd.as_str(), "ann@localhost");
    }
}
