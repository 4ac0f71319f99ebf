//! `cargo xtask speed-ratio`: how many times faster kafkagen renders than
//! `helm template`, measured side by side (docs/speed.md, "The guard").
//!
//! The two commands run in turn, one sample of each after the other, so
//! that whatever else the machine does slows both alike: the guard is a
//! ratio of medians, not an absolute time, which a noisy machine would
//! flake.

use anyhow::{Context, Result, bail};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Options {
    pub kafkagen: String,
    pub helm: String,
    pub runs: usize,
    pub at_least: f64,
}

/// One run of `command` (split at spaces), its output discarded; a failed
/// run fails the measurement.
fn once(command: &str) -> Result<Duration> {
    let mut words = command.split_whitespace();
    let program = words.next().context("an empty command")?;
    let start = Instant::now();
    let status = Command::new(program)
        .args(words)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("running {program}"))?;
    let took = start.elapsed();
    if !status.success() {
        bail!("`{command}` exited with {status}");
    }
    Ok(took)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let n = samples.len();
    if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Whether kafkagen is at least `at_least` times faster than helm.
pub fn run(o: Options) -> Result<bool> {
    if o.runs == 0 {
        bail!("--runs must be at least 1");
    }
    // Warm the page cache and the binaries' pages alike.
    for _ in 0..3 {
        once(&o.kafkagen)?;
        once(&o.helm)?;
    }
    let (mut k, mut h) = (Vec::new(), Vec::new());
    for _ in 0..o.runs {
        k.push(once(&o.kafkagen)?);
        h.push(once(&o.helm)?);
    }
    let (k, h) = (median(k), median(h));
    let ratio = h.as_secs_f64() / k.as_secs_f64();
    let ok = ratio >= o.at_least;
    println!(
        "speed: kafkagen {:.2} ms, helm template {:.1} ms (medians of {} runs each, alternating): {ratio:.1} times faster, {} {} times",
        ms(k),
        ms(h),
        o.runs,
        if ok { "at least" } else { "FAIL: under" },
        o.at_least
    );
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let d = Duration::from_millis;
        assert_eq!(median(vec![d(4), d(1), d(3)]), d(3));
        assert_eq!(
            median(vec![d(4), d(1), d(3), d(2)]),
            Duration::from_micros(2500)
        );
    }

    #[test]
    fn a_slower_kafkagen_fails_the_guard_and_a_failing_command_is_an_error() {
        // `sleep` stands in for both: kafkagen 0.05 s, helm 0.2 s is 4 times.
        let o = |at_least| Options {
            kafkagen: "sleep 0.05".into(),
            helm: "sleep 0.2".into(),
            runs: 3,
            at_least,
        };
        assert!(run(o(2.0)).unwrap());
        assert!(!run(o(15.0)).unwrap());
        let failing = Options {
            kafkagen: "false".into(),
            ..o(1.0)
        };
        assert!(run(failing).is_err());
    }
}
