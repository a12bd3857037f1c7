//! Charts as SVG drawn on the server (SPEC §8 `/stats`): one small renderer for a
//! series of points, as bars or as a line, with its axes, a few labels, a `<title>`
//! on every point (the browser's tooltip) and an empty state. Every text is
//! escaped; the SVG is inline in the page (nothing to load, nothing to run).

use std::fmt::Write as _;

/// How the points are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Bars,
    Line,
}

/// One point: its label on the x axis, its value (none: no data that day), and
/// the tooltip's words.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
    pub title: String,
}

/// A chart to draw.
pub struct Chart<'a> {
    /// The `<svg>`'s id.
    pub id: &'a str,
    /// Its accessible name.
    pub title: &'a str,
    pub shape: Shape,
    pub points: &'a [Point],
    /// The y axis' labels (the value in the chart's unit).
    pub axis: &'a dyn Fn(f64) -> String,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 8.0;
/// Room for the chart's visible title above the plot.
const TOP: f64 = 32.0;
const BOTTOM: f64 = 28.0;

/// `text` escaped for XML text and attribute values (control characters, which
/// XML 1.0 does not allow, dropped).
pub fn escape(text: &str) -> String {
    let kept: String = text.chars().filter(|c| !c.is_control()).collect();
    crate::domain::texts::escape_html(&kept).replace('\'', "&#39;")
}

/// The least "round" number (1, 2, 4 or 6 times a power of ten) at or above `v`:
/// its half, the axis' middle label, is round too.
fn nice_ceiling(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 4.0, 6.0, 10.0] {
        if step * power >= v {
            return step * power;
        }
    }
    10.0 * power
}

/// The chart as an `<svg>` element.
pub fn render(chart: &Chart<'_>) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="{}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}"><title>{}</title>"#,
        escape(chart.id),
        escape(chart.title),
        escape(chart.title)
    );
    // The title, visible too (the `<title>` is only the accessible name).
    let _ = write!(
        svg,
        r##"<text class="heading" x="8" y="18" fill="#1f2937" font-size="14" font-weight="600">{}</text>"##,
        escape(chart.title)
    );
    let values: Vec<f64> = chart
        .points
        .iter()
        .filter_map(|p| p.value)
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        let _ = write!(
            svg,
            r#"<text class="empty" x="{}" y="{}" text-anchor="middle">No data for this range</text></svg>"#,
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return svg;
    }
    // At least 2: counts and whole seconds halve to whole numbers.
    let top = nice_ceiling(values.iter().copied().fold(0.0, f64::max)).max(2.0);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let base = TOP + plot_h;
    let y = |v: f64| base - (v.max(0.0) / top).min(1.0) * plot_h;
    // Axes, and the y axis' labels at 0, half and the top.
    let _ = write!(
        svg,
        r##"<g class="axis" fill="#4b5563" font-size="11"><line stroke="#9aa1ad" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}"/><line stroke="#9aa1ad" x1="{LEFT}" y1="{base}" x2="{}" y2="{base}"/>"##,
        WIDTH - RIGHT
    );
    for v in [0.0, top / 2.0, top] {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 4.0,
            y(v) + 4.0,
            escape(&(chart.axis)(v))
        );
    }
    let n = chart.points.len();
    let slot = plot_w / n as f64;
    let x = |i: usize| LEFT + slot * (i as f64 + 0.5);
    // The x axis' labels: the first, the middle and the last point.
    let mut labelled = vec![0, n / 2, n - 1];
    labelled.dedup();
    for i in labelled {
        // The first and the last label stay inside the chart.
        let (at, anchor) = if n > 1 && i == 0 {
            (LEFT, "start")
        } else if n > 1 && i == n - 1 {
            (WIDTH - RIGHT, "end")
        } else {
            (x(i), "middle")
        };
        let _ = write!(
            svg,
            r#"<text x="{at:.1}" y="{}" text-anchor="{anchor}">{}</text>"#,
            HEIGHT - 8.0,
            escape(&chart.points[i].label)
        );
    }
    svg.push_str("</g>");
    match chart.shape {
        Shape::Bars => {
            let w = (slot * 0.8).max(1.0);
            for (i, p) in chart.points.iter().enumerate() {
                let v = p.value.filter(|v| v.is_finite()).unwrap_or(0.0);
                let _ = write!(
                    svg,
                    r##"<rect class="bar" fill="#3b82f6" x="{:.1}" y="{:.1}" width="{w:.1}" height="{:.1}"><title>{}</title></rect>"##,
                    x(i) - w / 2.0,
                    y(v),
                    base - y(v),
                    escape(&p.title)
                );
            }
        }
        Shape::Line => {
            // A gap where a day has no value: one polyline per run of values.
            let mut run: Vec<String> = Vec::new();
            let flush = |run: &mut Vec<String>, svg: &mut String| {
                if !run.is_empty() {
                    let _ = write!(
                        svg,
                        r##"<polyline class="line" fill="none" stroke="#3b82f6" stroke-width="2" points="{}"/>"##,
                        run.join(" ")
                    );
                    run.clear();
                }
            };
            for (i, p) in chart.points.iter().enumerate() {
                match p.value.filter(|v| v.is_finite()) {
                    Some(v) => run.push(format!("{:.1},{:.1}", x(i), y(v))),
                    None => flush(&mut run, &mut svg),
                }
            }
            flush(&mut run, &mut svg);
            for (i, p) in chart.points.iter().enumerate() {
                if let Some(v) = p.value.filter(|v| v.is_finite()) {
                    let _ = write!(
                        svg,
                        r##"<circle class="point" fill="#1d4ed8" cx="{:.1}" cy="{:.1}" r="3"><title>{}</title></circle>"##,
                        x(i),
                        y(v),
                        escape(&p.title)
                    );
                }
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[Option<f64>]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point {
                label: format!("d{i}"),
                value: *v,
                title: format!("day {i}: {v:?}"),
            })
            .collect()
    }

    fn draw(shape: Shape, values: &[Option<f64>]) -> String {
        let p = points(values);
        render(&Chart {
            id: "c",
            title: "Requests <per> day",
            shape,
            points: &p,
            axis: &|v| format!("{v}"),
        })
    }

    /// Every element opened is closed, in order (the SVG is well formed).
    fn balanced(svg: &str) -> bool {
        let mut open: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(at) = rest.find('<') {
            let end = rest[at..].find('>').map(|e| at + e).unwrap();
            let tag = &rest[at + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                if open.pop().as_deref() != Some(name) {
                    return false;
                }
            } else if !tag.ends_with('/') {
                open.push(tag.split_whitespace().next().unwrap().to_string());
            }
            rest = &rest[end + 1..];
        }
        open.is_empty()
    }

    #[test]
    fn bars_are_scaled_to_a_round_top_with_a_title_each() {
        let svg = draw(Shape::Bars, &[Some(4.0), Some(8.0), None]);
        assert!(
            svg.starts_with(r#"<svg id="c""#) && svg.ends_with("</svg>"),
            "{svg}"
        );
        assert!(balanced(&svg), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 3);
        assert_eq!(
            svg.matches("<title>").count(),
            4,
            "the chart's and one a bar"
        );
        // Top 10 (the next round number above 8): the bar of 8 is 0.8 of 140 high.
        assert!(svg.contains(r#"height="112.0""#), "{svg}");
        assert!(svg.contains(r#"height="56.0""#), "{svg}");
        assert!(svg.contains(r#"class="heading""#), "a visible title: {svg}");
        assert!(
            svg.contains(">10</text>") && svg.contains(">5</text>") && svg.contains(">0</text>")
        );
        assert!(svg.contains("Requests &lt;per&gt; day"), "escaped: {svg}");
        assert!(!svg.contains("<per>"));
        assert!(svg.contains(">d0<") && svg.contains(">d1<") && svg.contains(">d2<"));
    }

    #[test]
    fn a_line_breaks_where_a_day_has_no_value() {
        let svg = draw(Shape::Line, &[Some(1.0), Some(2.0), None, Some(2.0)]);
        assert!(balanced(&svg), "{svg}");
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 3);
    }

    #[test]
    fn an_empty_series_says_so() {
        for values in [&[][..], &[None, None][..]] {
            let svg = draw(Shape::Line, values);
            assert!(balanced(&svg), "{svg}");
            assert!(svg.contains("No data for this range"), "{svg}");
            assert!(!svg.contains("<polyline") && !svg.contains("<rect"));
        }
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(0.3), 0.4);
        assert_eq!(nice_ceiling(3.0), 4.0);
        assert_eq!(nice_ceiling(5.0), 6.0);
        assert_eq!(nice_ceiling(101.0), 200.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
    }

    #[test]
    fn titles_and_labels_are_escaped() {
        let p = vec![Point {
            label: "<b>".into(),
            value: Some(1.0),
            title: "\"x\" & 'y'".into(),
        }];
        let svg = render(&Chart {
            id: "a\"b",
            title: "t",
            shape: Shape::Bars,
            points: &p,
            axis: &|_| "<".into(),
        });
        assert!(balanced(&svg), "{svg}");
        assert!(svg.contains("&quot;x&quot; &amp; &#39;y&#39;") && svg.contains("&lt;b&gt;"));
        assert!(svg.contains(r#"id="a&quot;b""#));
    }
}
