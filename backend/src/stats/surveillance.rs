//! Hotspot surveillance, the statistics: an exact one-sided test of each unit's recent count
//! against its own baseline, with Benjamini–Hochberg control of false alarms across units.
//!
//! **The test.** A unit has `observed` incidents in the recent window (length `t_r`) and
//! `baseline` incidents in the window before it (length `t_b`). Under "no change" both are
//! Poisson with the same rate, so given their sum `n = observed + baseline` the recent count is
//! Binomial(`n`, `p0 = t_r / (t_r + t_b)`) — the exact conditional test for the ratio of two
//! Poisson rates (Przyborowski & Wilenski, 1940). The p-value is `P(X ≥ observed)`. Unlike a
//! Poisson test against the baseline *mean*, it accounts for the baseline's own noise, and a
//! unit with an empty baseline is not infinitely significant (`p = p0^observed`).
//!
//! **Many units.** Testing 5,565 grids at α = 0.001 each would raise about 5.6 false alarms a
//! day by chance alone. The Benjamini–Hochberg step-up procedure over all `m` units in scope
//! (units with nothing to test count in `m`, which only makes it stricter) keeps the expected
//! share of false alarms among the raised ones at most `q`; when no unit has changed, the
//! chance of raising any alarm at all is at most `q`.
//!
//! **Since when.** For a flagged unit, the start of its most anomalous stretch: the day `d` of
//! the window that maximises `observed(d..end) − expected(d..end)` (the CUSUM change-point
//! estimate), the latest such day on ties (the shortest stretch with the largest excess).

/// The parameters of the method; [`Method::DEFAULT`] is what the API uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Method {
    /// The false discovery rate `q` of the Benjamini–Hochberg procedure.
    pub fdr: f64,
    /// A unit is only flagged with at least this many recent incidents.
    pub min_count: i64,
}

impl Method {
    /// q = 0.01, at least 5 incidents in the recent window.
    pub const DEFAULT: Method = Method { fdr: 0.01, min_count: 5 };
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, n = 9; relative error below 1e-13).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`, exact up to floating point (summed from the mode side
/// in log space, so tiny tails do not underflow to zero before they are ~1e-300).
#[must_use]
pub fn binomial_upper_tail(k: i64, n: i64, p: f64) -> f64 {
    if k <= 0 {
        return 1.0;
    }
    if k > n || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let (nf, lp, lq) = (n as f64, p.ln(), (1.0 - p).ln());
    let ln_pmf = |i: i64| {
        let i = i as f64;
        ln_gamma(nf + 1.0) - ln_gamma(i + 1.0) - ln_gamma(nf - i + 1.0) + i * lp + (nf - i) * lq
    };
    // Sum the terms i = k..=n, largest first (the pmf is unimodal), relative to the first term.
    let first = ln_pmf(k);
    let ratio = p / (1.0 - p);
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in k..n {
        term *= (n - i) as f64 / (i + 1) as f64 * ratio;
        sum += term;
        if term < sum * 1e-17 && (i as f64) > nf * p {
            break;
        }
    }
    (first + sum.ln()).exp().min(1.0)
}

/// The outcome of testing one unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Test {
    pub observed: i64,
    pub baseline: i64,
    /// `baseline × t_r / t_b`: the recent count the baseline rate predicts.
    pub expected: f64,
    pub p_value: f64,
}

/// Tests one unit: `observed` recent incidents in `recent_len`, `baseline` in `baseline_len`
/// (any unit of time, the same for both).
#[must_use]
pub fn test(observed: i64, baseline: i64, recent_len: f64, baseline_len: f64) -> Test {
    let p0 = recent_len / (recent_len + baseline_len);
    Test {
        observed,
        baseline,
        expected: baseline as f64 * recent_len / baseline_len,
        p_value: binomial_upper_tail(observed, observed + baseline, p0),
    }
}

/// Benjamini–Hochberg: given the p-values of the tested units and `m` (the number of units in
/// scope, at least `p_values.len()`), the adjusted p-values (q-values) in the same order. A
/// unit is flagged at FDR `q` when its q-value is ≤ `q`.
#[must_use]
pub fn benjamini_hochberg(p_values: &[f64], m: usize) -> Vec<f64> {
    let m = m.max(p_values.len()) as f64;
    let mut order: Vec<usize> = (0..p_values.len()).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![1.0; p_values.len()];
    let mut running = 1.0_f64;
    // Step up from the largest p-value: q_(i) = min over j ≥ i of p_(j) m / j.
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p_values[i] * m / (rank + 1) as f64);
        adjusted[i] = running.min(1.0);
    }
    adjusted
}

/// The flagged units among `tests` (with `m` units in scope): their indexes and q-values, most
/// significant first.
#[must_use]
pub fn flag(tests: &[Test], m: usize, method: Method) -> Vec<(usize, f64)> {
    let p: Vec<f64> = tests.iter().map(|t| t.p_value).collect();
    let q = benjamini_hochberg(&p, m);
    let mut flagged: Vec<(usize, f64)> = tests
        .iter()
        .enumerate()
        .filter(|(i, t)| t.observed >= method.min_count && q[*i] <= method.fdr)
        .map(|(i, _)| (i, q[i]))
        .collect();
    flagged.sort_by(|a, b| tests[a.0].p_value.total_cmp(&tests[b.0].p_value).then(a.0.cmp(&b.0)));
    flagged
}

/// The CUSUM change point: given the recent window's counts per day and the expected count per
/// day, the index of the day from which `observed − expected` to the end is largest (the
/// latest on ties).
#[must_use]
pub fn since(daily_observed: &[i64], daily_expected: &[f64]) -> usize {
    let mut best = (f64::NEG_INFINITY, 0);
    let mut suffix = 0.0;
    for i in (0..daily_observed.len()).rev() {
        suffix += daily_observed[i] as f64 - daily_expected.get(i).copied().unwrap_or(0.0);
        if suffix > best.0 {
            best = (suffix, i);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut f = 1.0_f64;
        for n in 1..30 {
            f *= f64::from(n);
            assert!(close(ln_gamma(f64::from(n) + 1.0), f.ln(), 1e-12), "{n}");
        }
        assert!(close(ln_gamma(0.5), std::f64::consts::PI.sqrt().ln(), 1e-12));
    }

    #[test]
    fn binomial_tail_against_direct_sums() {
        // Direct sums with exact binomial coefficients for small n.
        let direct = |k: i64, n: i64, p: f64| -> f64 {
            let mut c = 1.0;
            let mut total = 0.0;
            for i in 0..=n {
                if i > 0 {
                    c = c * (n - i + 1) as f64 / i as f64;
                }
                if i >= k {
                    total += c * p.powi(i as i32) * (1.0 - p).powi((n - i) as i32);
                }
            }
            total
        };
        for n in [1, 2, 5, 17, 40, 90] {
            for k in 0..=n + 1 {
                for p in [0.01, 0.2, 0.5, 0.93] {
                    let (a, b) = (binomial_upper_tail(k, n, p), direct(k, n, p));
                    assert!(close(a, b, 1e-9) || (a - b).abs() < 1e-15, "k={k} n={n} p={p}: {a} vs {b}");
                }
            }
        }
        // A far tail stays positive and tiny: 25 of 25 with p = 0.2.
        assert!(close(binomial_upper_tail(25, 25, 0.2), 0.2_f64.powi(25), 1e-9));
        assert!((binomial_upper_tail(0, 10, 0.3) - 1.0).abs() < f64::EPSILON, "P(X >= 0) = 1");
        assert!(binomial_upper_tail(11, 10, 0.3).abs() < f64::EPSILON, "P(X > n) = 0");
    }

    #[test]
    fn the_test_uses_both_windows() {
        // 7 recent days vs 28 baseline days: p0 = 0.2.
        let t = test(3, 0, 7.0, 28.0);
        assert!(close(t.p_value, 0.008, 1e-9));
        assert!(t.expected.abs() < f64::EPSILON, "{}", t.expected);
        let stable = test(10, 40, 7.0, 28.0);
        assert!(stable.p_value > 0.4, "{}", stable.p_value);
        assert!((stable.expected - 10.0).abs() < 1e-12);
        let burst = test(35, 40, 7.0, 28.0);
        assert!(burst.p_value < 1e-6, "{}", burst.p_value);
    }

    #[test]
    fn benjamini_hochberg_by_hand() {
        // m = 5: p·m/rank = 0.005, 0.025, 0.0333, 0.05, 0.5 → step-up minima.
        let q = benjamini_hochberg(&[0.04, 0.001, 0.5, 0.01, 0.03], 5);
        let expected = [0.05, 0.005, 0.5, 0.025, 0.05];
        for (a, b) in q.iter().zip(expected) {
            assert!(close(*a, b, 1e-12), "{q:?}");
        }
        // Units not tested still count in m.
        assert!(close(benjamini_hochberg(&[0.001], 100)[0], 0.1, 1e-12));
    }

    #[test]
    fn flags_only_significant_units_with_enough_cases() {
        let tests = [test(35, 40, 7.0, 28.0), test(10, 40, 7.0, 28.0), test(4, 0, 7.0, 28.0), test(60, 20, 7.0, 28.0)];
        let flagged = flag(&tests, 5565, Method::DEFAULT);
        let idx: Vec<usize> = flagged.iter().map(|f| f.0).collect();
        // The strongest first; 4 cases from nothing stay under the minimum count.
        assert_eq!(idx, [3, 0]);
        assert!(flagged.iter().all(|f| f.1 <= Method::DEFAULT.fdr));
    }

    #[test]
    fn since_finds_the_start_of_the_rise() {
        let expected = [1.0; 7];
        assert_eq!(since(&[1, 0, 1, 1, 6, 7, 9], &expected), 4);
        assert_eq!(since(&[1, 0, 2, 1, 6, 7, 9], &expected), 2, "a small excess before the rise extends the stretch");
        assert_eq!(since(&[9, 1, 1, 1, 1, 1, 1], &expected), 0);
        assert_eq!(since(&[0, 0, 0, 0, 0, 0, 25], &expected), 6);
    }
}
