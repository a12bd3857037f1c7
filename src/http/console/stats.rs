//! The stats for controllers (SPEC §8 `/stats`; a specialist gets 403): four charts
//! drawn on the server — requests per day, median first response per day, median
//! resolution per day, satisfaction per week — over 7, 30 or 90 UTC days (today
//! included; 30 by default), of one department or all, and the per-specialist
//! table of `/stats`. The series come from `store/series.rs`, the table from
//! `store/stats.rs`'s tallies; both read per-day sums.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::charts::{self, Chart, Point, Shape};
use super::extract::{Controller, Params};
use super::session::Signed;
use super::{Console, Error, Result};
use crate::domain::StaffId;
use crate::domain::stats::{DAY_MS, Range, Responses, Tally, duration};
use crate::store::series::Day;

/// The ranges offered, in days.
pub const RANGES: [i64; 3] = [7, 30, 90];

pub fn router() -> Router<Console> {
    Router::new().route("/stats", get(page))
}

/// A specialist's line of the table.
pub struct Row {
    pub name: String,
    pub taken: i64,
    pub closed: i64,
    pub median_first: String,
    pub resolution: String,
    pub score: String,
    pub ratings: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "console/stats.html")]
struct StatsPage {
    who: Signed,
    days: i64,
    ranges: [i64; 3],
    /// (key, name) of each department; empty without departments.
    departments: Vec<(String, String)>,
    department: String,
    charts: [String; 4],
    rows: Vec<Row>,
}

#[derive(serde::Deserialize)]
struct Chosen {
    days: Option<String>,
    department: Option<String>,
}

/// A UTC day's date, `YYYY-MM-DD`.
fn date(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * DAY_MS)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A chart's seconds on its axis.
fn seconds(v: f64) -> String {
    duration(Some(v.round() as i64))
}

fn count(v: f64) -> String {
    format!("{}", v.round() as i64)
}

fn percent(v: f64) -> String {
    format!("{} %", v.round() as i64)
}

/// The four charts of `days` (oldest first).
pub fn draw(days: &[Day]) -> [String; 4] {
    let per_day = |value: &dyn Fn(&Day) -> Option<f64>, words: &dyn Fn(&Day) -> String| {
        days.iter()
            .map(|d| Point {
                label: date(d.day),
                value: value(d),
                title: format!("{}: {}", date(d.day), words(d)),
            })
            .collect::<Vec<_>>()
    };
    let requests = per_day(&|d| Some(d.opened as f64), &|d| {
        format!("{} requests", d.opened)
    });
    let median = |r: &Responses| r.median();
    let first = per_day(&|d| median(&d.first_responses).map(|s| s as f64), &|d| {
        format!(
            "median first response {} ({} answered)",
            duration(median(&d.first_responses)),
            d.first_responses.len()
        )
    });
    let resolution = per_day(&|d| median(&d.resolutions).map(|s| s as f64), &|d| {
        format!(
            "median resolution {} ({} closed)",
            duration(median(&d.resolutions)),
            d.resolutions.len()
        )
    });
    // Weeks ending today: the oldest may be shorter.
    let mut weeks: Vec<&[Day]> = days.rchunks(7).collect();
    weeks.reverse();
    let satisfaction: Vec<Point> = weeks
        .iter()
        .map(|w| {
            let all: i64 = w.iter().map(|d| d.ratings.iter().sum::<i64>()).sum();
            let good: i64 = w.iter().map(|d| d.ratings[3] + d.ratings[4]).sum();
            let from = w.first().map_or(0, |d| d.day);
            let to = w.last().map_or(0, |d| d.day);
            let score = (all > 0).then(|| good as f64 * 100.0 / all as f64);
            Point {
                label: date(from),
                value: score,
                title: match score {
                    Some(s) => format!(
                        "{} – {}: {} % rated 4 or 5 ({all} ratings)",
                        date(from),
                        date(to),
                        s.round()
                    ),
                    None => format!("{} – {}: no ratings", date(from), date(to)),
                },
            }
        })
        .collect();
    [
        charts::render(&Chart {
            id: "stats-requests",
            title: "Requests per day",
            shape: Shape::Bars,
            points: &requests,
            axis: &count,
        }),
        charts::render(&Chart {
            id: "stats-first-response",
            title: "Median first response per day",
            shape: Shape::Line,
            points: &first,
            axis: &seconds,
        }),
        charts::render(&Chart {
            id: "stats-resolution",
            title: "Median resolution per day",
            shape: Shape::Line,
            points: &resolution,
            axis: &seconds,
        }),
        charts::render(&Chart {
            id: "stats-satisfaction",
            title: "Satisfaction per week (ratings of 4 or 5)",
            shape: Shape::Bars,
            points: &satisfaction,
            axis: &percent,
        }),
    ]
}

fn row(name: String, t: &Tally) -> Row {
    Row {
        name,
        taken: t.taken,
        closed: t.closed,
        median_first: duration(t.median_first_response()),
        resolution: duration(t.average_resolution()),
        score: t
            .score_percent()
            .map_or_else(|| "—".to_string(), |s| format!("{s} %")),
        ratings: t.ratings,
    }
}

async fn page(
    State(console): State<Console>,
    Controller(who): Controller,
    Params(params): Params<Chosen>,
) -> Result<Response> {
    let days = match params.days.as_deref() {
        None | Some("") => 30,
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| RANGES.contains(d))
            .ok_or(Error::BadRequest("days: 7, 30 or 90"))?,
    };
    let policy = console.processor().policy().clone();
    let department = params.department.unwrap_or_default();
    let chosen = match department.as_str() {
        "" => None,
        key => Some(
            policy
                .department(key)
                .ok_or(Error::BadRequest("department: one of the configured keys"))?
                .clone(),
        ),
    };
    let staff: Vec<StaffId> = match &chosen {
        Some(dep) => dep.specialists.clone(),
        None => policy.specialists.iter().map(|s| s.chat_id).collect(),
    };
    let now = crate::now_ms();
    let last = now.div_euclid(DAY_MS);
    let first = last - (days - 1);
    let period = Range {
        from: first * DAY_MS,
        to: now,
    };
    let key = chosen.as_ref().map(|d| d.key.clone());
    let (series, tallies) = console
        .processor()
        .store()
        .run(move |conn| {
            let series = crate::store::series::days(conn, first, last, key.as_deref())?;
            let mut tallies = Vec::with_capacity(staff.len());
            for s in staff {
                tallies.push((s, crate::store::stats::tally(conn, s, period)?));
            }
            Ok((series, tallies))
        })
        .await?;
    let mut total = Tally::default();
    let mut rows: Vec<Row> = tallies
        .iter()
        .map(|(s, t)| {
            total.add(t);
            row(policy.specialist_name(*s), t)
        })
        .collect();
    if rows.len() > 1 {
        rows.push(row("Everyone".to_string(), &total));
    }
    let departments = if policy.has_departments() {
        policy
            .departments
            .iter()
            .map(|d| (d.key.clone(), d.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    Ok(StatsPage {
        who,
        days,
        ranges: RANGES,
        departments,
        department,
        charts: draw(&series),
        rows,
    }
    .into_response())
}
