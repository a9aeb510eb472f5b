//! A player's rating over their recent matches as an inline SVG line chart: no script, no
//! external file, colours from the stylesheet (so it follows the light or dark scheme).

use maud::{Markup, html};

use super::text::{date, thousandths};

/// Drawing area in SVG units (scaled to the page width by the browser).
const WIDTH: i64 = 600;
const HEIGHT: i64 = 160;
/// Room for the rating labels on the left and half a dot at the edges.
const LEFT: i64 = 56;
const PAD: i64 = 8;

/// One point: when the match ended and the rating ×1000 after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Unix seconds.
    pub played_at: i64,
    /// Rating ×1000 after the match.
    pub rating: i64,
}

/// The chart of `points` (oldest first: the rating before the first match shown, then after
/// each) in `module`; nothing for fewer than two points.
pub fn chart(module: &str, points: &[Point]) -> Markup {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return html! {};
    };
    if points.len() < 2 {
        return html! {};
    }
    let coordinates = coordinates(points);
    let line: Vec<String> = coordinates
        .iter()
        .map(|(x, y)| format!("{x},{y}"))
        .collect();
    let low = points
        .iter()
        .map(|p| p.rating)
        .min()
        .unwrap_or(first.rating);
    let high = points
        .iter()
        .map(|p| p.rating)
        .max()
        .unwrap_or(first.rating);
    let label = format!(
        "Rating in {module} over the last {} matches: from {} to {}, lowest {}, highest {}",
        points.len() - 1,
        thousandths(first.rating),
        thousandths(last.rating),
        thousandths(low),
        thousandths(high),
    );
    html! {
        figure.rating-chart {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(label) {
                title { (label) }
                line.axis x1=(LEFT) y1=(PAD) x2=(LEFT) y2=(HEIGHT - PAD) {}
                text.tick x=(LEFT - 6) y=(PAD + 4) text-anchor="end" { (thousandths(high)) }
                text.tick x=(LEFT - 6) y=(HEIGHT - PAD) text-anchor="end" { (thousandths(low)) }
                polyline.rating points=(line.join(" ")) {}
                @for ((x, y), point) in coordinates.iter().zip(points) {
                    circle cx=(x) cy=(y) r="3" {
                        title { (date(point.played_at)) ": " (thousandths(point.rating)) }
                    }
                }
            }
            figcaption.muted { (label) }
        }
    }
}

/// SVG coordinates of `points`: evenly spaced left to right (one step per match), the lowest
/// rating at the bottom and the highest at the top (a flat line in the middle).
fn coordinates(points: &[Point]) -> Vec<(i64, i64)> {
    let low = points.iter().map(|p| p.rating).min().unwrap_or(0);
    let high = points.iter().map(|p| p.rating).max().unwrap_or(0);
    let span_x = WIDTH - LEFT - 2 * PAD;
    let span_y = HEIGHT - 2 * PAD;
    let steps = i64::try_from(points.len().saturating_sub(1).max(1)).unwrap_or(i64::MAX);
    points
        .iter()
        .enumerate()
        .map(|(i, point)| {
            let i = i64::try_from(i).unwrap_or(i64::MAX);
            let x = LEFT + PAD + span_x * i / steps;
            let y = if high == low {
                HEIGHT / 2
            } else {
                // i128: ratings ×1000 times the height cannot overflow.
                let above_low =
                    i128::from(point.rating - low) * i128::from(span_y) / i128::from(high - low);
                HEIGHT - PAD - i64::try_from(above_low).unwrap_or(span_y)
            };
            (x, y)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(ratings: &[i64]) -> Vec<Point> {
        ratings
            .iter()
            .enumerate()
            .map(|(i, &rating)| Point {
                played_at: 1_700_000_000 + i as i64 * 60,
                rating,
            })
            .collect()
    }

    #[test]
    fn the_line_spans_the_area_lowest_at_the_bottom() {
        let at = coordinates(&points(&[1_500_000, 1_520_000, 1_480_000]));
        assert_eq!(at[0].0, LEFT + PAD);
        assert_eq!(at[2].0, WIDTH - PAD);
        assert_eq!(at[1].1, PAD, "the highest at the top");
        assert_eq!(at[2].1, HEIGHT - PAD, "the lowest at the bottom");
        let flat = coordinates(&points(&[1_500_000, 1_500_000]));
        assert!(flat.iter().all(|(_, y)| *y == HEIGHT / 2));
    }

    #[test]
    fn one_point_draws_nothing_and_the_label_names_the_ends() {
        assert!(chart("ra", &points(&[1_500_000])).into_string().is_empty());
        let svg = chart("ra", &points(&[1_500_000, 1_531_500])).into_string();
        assert!(svg.contains("from 1500 to 1532"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
