//! The domain's ids as SQLite integers, its email addresses as TEXT, and the
//! states and kinds it stores by name read back by name (the domain knows nothing
//! of rusqlite).

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::domain::{
    ChatId, CommId, CustomerId, CustomerState, EmailAddress, Kind, MessageId, Role, StaffId, Status,
};

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

/// States and kinds are stored as their names (`as_str`) and read back with
/// their `parse`, which takes a name it does not know as its fallback value.
macro_rules! sql_name {
    ($($name:ident),*) => {$(
        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_str().map($name::parse)
            }
        }
    )*};
}

sql_name!(Status, CustomerState, Role, Kind);

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

    #[test]
    fn states_and_kinds_read_back_by_name() {
        let conn = Connection::open_in_memory().unwrap();
        let (status, kind): (Status, Kind) = conn
            .query_row(
                "SELECT ?1, ?2",
                [Status::Assigned.as_str(), Kind::Photo.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((status, kind), (Status::Assigned, Kind::Photo));
        // A name this version does not know takes the fallback, as `parse` does.
        let other: Kind = conn
            .query_row("SELECT 'hologram'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(other, Kind::Other);
        // A NULL is no name: an error, not a guess.
        let null = conn.query_row("SELECT NULL", [], |r| r.get::<_, Role>(0));
        assert!(null.is_err());
    }
}
