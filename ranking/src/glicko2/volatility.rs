//! Step 5 of Glicko-2: the new volatility σ' as the root of f(x), found with the Illinois
//! variant of regula falsi, with a hard cap on iterations.

/// Inputs of the volatility step on the Glicko-2 scale.
pub(super) struct VolatilityInputs {
    /// Current volatility σ.
    pub sigma: f64,
    /// Current deviation φ (Glicko-2 scale).
    pub phi: f64,
    /// Estimated variance v of the rating from the period's results.
    pub v: f64,
    /// Estimated improvement Δ.
    pub delta: f64,
}

/// Solves for σ'. Glickman's algorithm has no iteration bound; a bound matters here because a
/// ranking server must answer in bounded time whatever the inputs, so both the bracketing loop
/// and the Illinois loop share `max_iterations`. Hitting the cap returns the best bracket end
/// so far, which is still deterministic.
pub(super) fn solve(
    input: &VolatilityInputs,
    tau: f64,
    tolerance: f64,
    max_iterations: u32,
) -> f64 {
    let VolatilityInputs {
        sigma,
        phi,
        v,
        delta,
    } = *input;
    let a0 = libm::log(sigma * sigma);
    let phi2 = phi * phi;
    let delta2 = delta * delta;
    let tau2 = tau * tau;
    let f = |x: f64| {
        let ex = libm::exp(x);
        let denominator = phi2 + v + ex;
        ex * (delta2 - phi2 - v - ex) / (2.0 * denominator * denominator) - (x - a0) / tau2
    };

    let mut iterations = 0u32;
    let mut a = a0;
    let mut b = if delta2 > phi2 + v {
        libm::log(delta2 - phi2 - v)
    } else {
        let mut k = 1.0;
        while f(a0 - k * tau) < 0.0 && iterations < max_iterations {
            k += 1.0;
            iterations += 1;
        }
        a0 - k * tau
    };
    let mut fa = f(a);
    let mut fb = f(b);
    while (b - a).abs() > tolerance && iterations < max_iterations && fb != fa {
        iterations += 1;
        let c = a + (a - b) * fa / (fb - fa);
        let fc = f(c);
        if fc * fb <= 0.0 {
            a = b;
            fa = fb;
        } else {
            fa /= 2.0;
        }
        b = c;
        fb = fc;
    }
    let result = libm::exp(a / 2.0);
    // A degenerate input (for example v = ∞) can make f undefined; keep the old volatility then
    // rather than propagate NaN into a signed record.
    if result.is_finite() && result > 0.0 {
        result
    } else {
        sigma
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glickman_example_volatility() {
        // Values from Glickman's worked example after steps 3 and 4.
        let input = VolatilityInputs {
            sigma: 0.06,
            phi: 1.1513,
            v: 1.7785,
            delta: -0.4834,
        };
        let sigma = solve(&input, 0.5, 1e-6, 100);
        assert!((sigma - 0.05999).abs() < 1e-5, "{sigma}");
    }

    #[test]
    fn iteration_cap_bounds_the_work() {
        let input = VolatilityInputs {
            sigma: 0.06,
            phi: 1.1513,
            v: 1.7785,
            delta: -0.4834,
        };
        let capped = solve(&input, 0.5, 1e-12, 1);
        let full = solve(&input, 0.5, 1e-12, 100);
        assert!(capped.is_finite());
        assert_ne!(capped.to_bits(), full.to_bits());
    }

    #[test]
    fn degenerate_input_keeps_old_volatility() {
        let input = VolatilityInputs {
            sigma: 0.06,
            phi: 1.0,
            v: f64::INFINITY,
            delta: 0.0,
        };
        assert_eq!(solve(&input, 0.5, 1e-6, 100), 0.06);
    }
}
