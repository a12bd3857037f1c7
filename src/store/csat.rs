//! Satisfaction figures from the surveys (SPEC §6.5), for `/stats` and reports: the
//! score (ratings of 4 or 5 ÷ all ratings) and the response rate (ratings ÷ surveys
//! sent), for the team or one specialist, over a span of time.

use rusqlite::{Connection, params};

use crate::domain::StaffId;
use crate::error::Result;
use crate::store::Cached;

/// A span of time in unix ms, `from` included, `to` excluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub from: i64,
    pub to: i64,
}

/// What the surveys of a span say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Surveys sent (asked) in the span.
    pub surveys: i64,
    /// Of those, how many were rated (at any time since).
    pub answered: i64,
    /// Ratings given in the span (by their latest rating time).
    pub ratings: i64,
    /// Of those, ratings of 4 or 5.
    pub good: i64,
}

impl Figures {
    /// Ratings of 4 or 5 ÷ all ratings; `None` without ratings.
    pub fn score(&self) -> Option<f64> {
        ratio(self.good, self.ratings)
    }

    /// Ratings ÷ surveys sent; `None` without surveys.
    pub fn response_rate(&self) -> Option<f64> {
        ratio(self.answered, self.surveys)
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    // Counts of rows: far below 2^53, exact as f64.
    #[allow(clippy::cast_precision_loss)]
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The figures of `span`, for the team (`None`) or the specialist who held the
/// communications when they closed.
pub fn figures(conn: &Connection, span: Span, specialist: Option<StaffId>) -> Result<Figures> {
    let (surveys, answered): (i64, i64) = conn.row(
        "SELECT count(*), count(rating) FROM surveys
         WHERE asked_at >= ?1 AND asked_at < ?2 AND (?3 IS NULL OR specialist_id = ?3)",
        params![span.from, span.to, specialist],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (ratings, good): (i64, i64) = conn.row(
        "SELECT count(*), coalesce(sum(rating >= 4), 0) FROM surveys
         WHERE rating IS NOT NULL AND rated_at >= ?1 AND rated_at < ?2
           AND (?3 IS NULL OR specialist_id = ?3)",
        params![span.from, span.to, specialist],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Figures {
        surveys,
        answered,
        ratings,
        good,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{closed_communication, test_db};

    /// A closed communication `id` of Anna (5) or Boris (6) with its survey asked
    /// at `asked` and rated `rating` at `rated`.
    fn survey(conn: &Connection, id: i64, specialist: i64, asked: i64, rating: Option<(i64, i64)>) {
        closed_communication(conn, id);
        conn.execute(
            "INSERT INTO surveys (communication_id, customer_id, specialist_id, asked_at, rating, rated_at)
             VALUES (?1, 42, ?2, ?3, ?4, ?5)",
            params![id, specialist, asked, rating.map(|r| r.0), rating.map(|r| r.1)],
        )
        .unwrap();
    }

    #[test]
    fn score_and_response_rate_count_what_the_span_holds() {
        let conn = test_db();
        let all = Span { from: 0, to: 1_000 };
        assert_eq!(figures(&conn, all, None).unwrap(), Figures::default());
        assert_eq!(Figures::default().score(), None);
        assert_eq!(Figures::default().response_rate(), None);
        survey(&conn, 1, 5, 10, Some((5, 20)));
        survey(&conn, 2, 5, 10, Some((4, 30)));
        survey(&conn, 3, 5, 10, Some((2, 40)));
        survey(&conn, 4, 5, 10, None);
        survey(&conn, 5, 6, 10, Some((1, 50)));
        // Asked in the span, rated after it.
        survey(&conn, 6, 6, 900, Some((5, 2_000)));
        let team = figures(&conn, all, None).unwrap();
        assert_eq!(
            team,
            Figures {
                surveys: 6,
                answered: 5,
                ratings: 4,
                good: 2
            }
        );
        assert_eq!(team.score(), Some(0.5));
        assert_eq!(team.response_rate(), Some(5.0 / 6.0));
        let anna = figures(&conn, all, Some(StaffId(5))).unwrap();
        assert_eq!(
            anna,
            Figures {
                surveys: 4,
                answered: 3,
                ratings: 3,
                good: 2
            }
        );
        assert_eq!(anna.score(), Some(2.0 / 3.0));
        assert_eq!(anna.response_rate(), Some(0.75));
        // The span's end is excluded, its start included.
        let narrow = figures(&conn, Span { from: 20, to: 40 }, None).unwrap();
        assert_eq!((narrow.ratings, narrow.good, narrow.surveys), (2, 2, 0));
        assert_eq!(narrow.response_rate(), None);
    }
}
