//! Float vs fixed point on labelled data: accuracy of both, how often their argmax agrees, and the
//! largest absolute difference of their outputs.

use serde::Serialize;

/// What `compile --labels` stores under `accuracy` and `eval` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Accuracy {
    /// The inputs and labels, as given on the command line.
    pub data: String,
    pub labels: String,
    pub samples: usize,
    /// Fraction of samples whose float argmax is the label.
    pub float_accuracy: f64,
    /// Fraction of samples whose fixed-point argmax is the label.
    pub fixed_accuracy: f64,
    /// Fraction of samples where both argmaxes agree.
    pub argmax_agreement: f64,
    /// Largest `|float - fixed|` over every output value.
    pub max_abs_error: f64,
}

/// Compares `float` and `fixed` outputs (`samples × classes`, row-major) against `labels`.
/// Errors when the lengths disagree or a label is not a class index (`0..classes`).
pub fn compare(
    float: &[f32],
    fixed: &[f64],
    labels: &[i64],
    data: &str,
    label_file: &str,
) -> Result<Accuracy, String> {
    let samples = labels.len();
    if samples == 0 {
        return Err("no labels".into());
    }
    if float.len() != fixed.len() || !float.len().is_multiple_of(samples) || float.is_empty() {
        return Err(format!(
            "{} float and {} fixed-point output values do not split into {samples} samples",
            float.len(),
            fixed.len()
        ));
    }
    let classes = float.len() / samples;
    if let Some((i, bad)) = labels
        .iter()
        .enumerate()
        .find(|(_, &c)| c < 0 || c as u64 >= classes as u64)
    {
        return Err(format!(
            "label {bad} (sample {i}) is not a class of the model's {classes} outputs (0..{})",
            classes - 1
        ));
    }
    let (mut float_ok, mut fixed_ok, mut agree) = (0usize, 0usize, 0usize);
    let mut max_abs_error = 0f64;
    for ((f, q), &label) in float
        .chunks_exact(classes)
        .zip(fixed.chunks_exact(classes))
        .zip(labels)
    {
        let (af, aq) = (
            argmax(f.iter().map(|&v| f64::from(v))),
            argmax(q.iter().copied()),
        );
        float_ok += usize::from(af as i64 == label);
        fixed_ok += usize::from(aq as i64 == label);
        agree += usize::from(af == aq);
        for (&a, &b) in f.iter().zip(q) {
            max_abs_error = max_abs_error.max((f64::from(a) - b).abs());
        }
    }
    let frac = |n: usize| n as f64 / samples as f64;
    Ok(Accuracy {
        data: data.to_string(),
        labels: label_file.to_string(),
        samples,
        float_accuracy: frac(float_ok),
        fixed_accuracy: frac(fixed_ok),
        argmax_agreement: frac(agree),
        max_abs_error,
    })
}

/// Index of the first largest value (numpy's `argmax`); NaN never wins.
pub fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

impl Accuracy {
    /// Four lines for a terminal.
    pub fn lines(&self) -> String {
        format!(
            "float accuracy:    {:.2}% ({} samples)\n\
             fixed accuracy:    {:.2}%\n\
             argmax agreement:  {:.2}%\n\
             max abs error:     {}\n",
            100.0 * self.float_accuracy,
            self.samples,
            100.0 * self.fixed_accuracy,
            100.0 * self.argmax_agreement,
            self.max_abs_error
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares() {
        let float = [0.1f32, 0.9, 0.8, 0.2, 0.5, 0.5];
        let fixed = [0.125, 0.875, 0.25, 0.75, 0.5, 0.5];
        let a = compare(&float, &fixed, &[1, 0, 1], "x", "y").unwrap();
        assert_eq!(a.samples, 3);
        assert!((a.float_accuracy - 2.0 / 3.0).abs() < 1e-12);
        assert!((a.fixed_accuracy - 1.0 / 3.0).abs() < 1e-12);
        assert!((a.argmax_agreement - 2.0 / 3.0).abs() < 1e-12);
        assert!((a.max_abs_error - 0.55).abs() < 1e-6);
        assert!(compare(&float, &fixed[..4], &[1, 0, 1], "x", "y").is_err());
        for bad in [2, -1, 99, 1 << 62] {
            let e = compare(&float, &fixed, &[1, bad, 1], "x", "y").unwrap_err();
            assert!(e.contains(&format!("label {bad} (sample 1)")), "{e}");
        }
        assert_eq!(argmax([1.0, 3.0, 3.0].into_iter()), 1);
    }
}
