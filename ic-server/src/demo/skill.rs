//! The demo's hidden truth and how well ratings find it: each bot has a skill the server never
//! sees, a match is won by skill with some luck, and Spearman's rank correlation compares.
//!
//! Pure: the random draws come in as numbers, so the rules are tested without a server.

/// How strongly a skill gap decides a match: a gap of 1 wins 98% of the time, a gap of 0.25
/// about 73%; luck stays in it, so the order takes a few matches to show.
const DECISIVENESS: f64 = 4.0;

/// `count` hidden skills spread evenly over 0–1 (their order shuffled by `shuffle`), so that
/// every demo has a clear best and worst bot.
pub fn hidden_skills(count: usize, mut shuffle: impl FnMut(usize) -> usize) -> Vec<f64> {
    let mut skills: Vec<f64> = (0..count)
        .map(|i| {
            if count > 1 {
                i as f64 / (count - 1) as f64
            } else {
                0.5
            }
        })
        .collect();
    // Fisher–Yates with the caller's randomness.
    for i in (1..skills.len()).rev() {
        skills.swap(i, shuffle(i + 1) % (i + 1));
    }
    skills
}

/// The chance that a player of skill `a` beats one of skill `b` (logistic in the gap).
pub fn win_probability(a: f64, b: f64) -> f64 {
    1.0 / (1.0 + (-DECISIVENESS * (a - b)).exp())
}

/// Whether the player of skill `a` wins, given a uniform draw in 0–1.
pub fn first_wins(a: f64, b: f64, draw: f64) -> bool {
    draw < win_probability(a, b)
}

/// Ranks of `values` (1 = smallest), ties sharing their mean rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        let mean = (start + end) as f64 / 2.0 + 1.0;
        for &index in &order[start..=end] {
            ranks[index] = mean;
        }
        start = end + 1;
    }
    ranks
}

/// Spearman's rank correlation of `xs` and `ys` (Pearson's on their ranks): 1 when they order
/// the players the same way, −1 when reversed; `None` with fewer than two pairs or no spread.
pub fn spearman(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() != ys.len() || xs.len() < 2 {
        return None;
    }
    let (rx, ry) = (ranks(xs), ranks(ys));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let covariance: f64 = rx.iter().zip(&ry).map(|(x, y)| (x - mx) * (y - my)).sum();
    let spread_x: f64 = rx.iter().map(|x| (x - mx).powi(2)).sum::<f64>().sqrt();
    let spread_y: f64 = ry.iter().map(|y| (y - my).powi(2)).sum::<f64>().sqrt();
    (spread_x > 0.0 && spread_y > 0.0).then(|| covariance / (spread_x * spread_y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skills_cover_the_range_once_each() {
        let mut next = 7usize;
        let mut skills = hidden_skills(5, |n| {
            next = next.wrapping_mul(31).wrapping_add(17);
            next % n
        });
        skills.sort_by(f64::total_cmp);
        assert_eq!(skills, [0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(hidden_skills(1, |_| 0), [0.5]);
    }

    #[test]
    fn the_better_player_usually_wins_but_not_always() {
        assert!((win_probability(0.5, 0.5) - 0.5).abs() < 1e-12);
        let p = win_probability(1.0, 0.0);
        assert!(p > 0.98 && p < 0.99, "{p}");
        let close = win_probability(0.75, 0.5);
        assert!(close > 0.72 && close < 0.74, "{close}");
        assert!((win_probability(0.0, 1.0) + p - 1.0).abs() < 1e-12);
        assert!(first_wins(1.0, 0.0, 0.5));
        assert!(!first_wins(1.0, 0.0, 0.99));
    }

    fn close(value: Option<f64>, expected: f64) {
        let value = value.expect("a correlation");
        assert!(
            (value - expected).abs() < 1e-12,
            "{value} is not {expected}"
        );
    }

    #[test]
    fn spearman_compares_orders_not_values() {
        let skill = [0.1, 0.4, 0.2, 0.9];
        close(spearman(&skill, &[1400.0, 1600.0, 1500.0, 1900.0]), 1.0);
        close(spearman(&skill, &[1600.0, 1400.0, 1500.0, 1300.0]), -1.0);
        // One swap of four neighbours gives 0.8; ties share a rank.
        close(spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]), 0.8);
        close(
            spearman(&[1.0, 2.0, 3.0], &[5.0, 5.0, 6.0]),
            0.866_025_403_784_438_6,
        );
        assert_eq!(spearman(&[1.0], &[2.0]), None);
        assert_eq!(spearman(&[1.0, 1.0], &[2.0, 3.0]), None);
    }
}
