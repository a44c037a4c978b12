//! A rule's learned head: logistic regression over a clause's sentence embedding and its
//! TF-IDF word vector, `p(rule | clause) = σ(w·e + u·t + b)`, fitted by `warmcall rules train`.
//!
//! The fit is L2-regularised, with the two classes weighted to count equally (a rule has far
//! fewer positive lines than negative ones), by Nesterov-accelerated gradient descent: the
//! loss is convex and embeddings are unit vectors, so a fixed step of 1/L converges.

use serde::{Deserialize, Serialize};

/// Weights and bias of one head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// Over the sentence embedding.
    pub weights: Vec<f32>,
    /// Over the lexicon's terms (empty: the head reads the embedding alone).
    #[serde(default)]
    pub words: Vec<f32>,
    pub bias: f32,
}

/// What a head reads of one clause: its embedding and its TF-IDF vector.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    pub emb: &'a [f32],
    pub words: &'a [(usize, f32)],
}

impl Head {
    pub fn logit(&self, x: Sample<'_>) -> f32 {
        let dense = self
            .weights
            .iter()
            .zip(x.emb)
            .map(|(w, v)| w * v)
            .sum::<f32>();
        let sparse = x
            .words
            .iter()
            .map(|&(i, v)| self.words.get(i).map_or(0.0, |w| w * v))
            .sum::<f32>();
        self.bias + dense + sparse
    }

    /// Probability that the clause carries the rule's intent.
    pub fn prob(&self, x: Sample<'_>) -> f32 {
        sigmoid(self.logit(x))
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Fitting settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// L2 penalty on the weights (not the bias), per example.
    pub l2: f32,
    pub iterations: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            l2: 2.5e-5,
            iterations: 1000,
        }
    }
}

/// Fit a head to samples `xs` (unit embeddings, unit TF-IDF vectors over `n_words` terms)
/// labelled `ys`.
pub fn fit(xs: &[Sample<'_>], ys: &[bool], n_words: usize, opts: FitOptions) -> Head {
    let dim = xs.first().map_or(0, |x| x.emb.len());
    let n_pos = ys.iter().filter(|&&y| y).count().max(1) as f32;
    let n_neg = ys.iter().filter(|&&y| !y).count().max(1) as f32;
    let n = xs.len().max(1) as f32;
    let (w_pos, w_neg) = (n / (2.0 * n_pos), n / (2.0 * n_neg));
    // Lipschitz constant of the weighted mean log-loss: |emb|² + |words|² + 1 (the bias) ≤ 3,
    // times the largest class weight, times σ' ≤ 1/4.
    let lipschitz = 0.25 * 3.0 * w_pos.max(w_neg) + opts.l2;
    let step = 1.0 / lipschitz;
    let len = dim + n_words + 1; // embedding weights, word weights, bias
    let mut theta = vec![0f32; len];
    let mut prev = theta.clone();
    let mut look = theta.clone();
    let mut grad = vec![0f32; len];
    for k in 0..opts.iterations {
        // Nesterov look-ahead point.
        let momentum = k as f32 / (k as f32 + 3.0);
        for ((l, t), p) in look.iter_mut().zip(&theta).zip(&prev) {
            *l = t + momentum * (t - p);
        }
        grad.iter_mut().for_each(|g| *g = 0.0);
        for (x, &y) in xs.iter().zip(ys) {
            let z = look[len - 1]
                + look[..dim]
                    .iter()
                    .zip(x.emb)
                    .map(|(w, v)| w * v)
                    .sum::<f32>()
                + x.words.iter().map(|&(i, v)| look[dim + i] * v).sum::<f32>();
            let (target, weight) = if y { (1.0, w_pos) } else { (0.0, w_neg) };
            let r = weight * (sigmoid(z) - target) / n;
            for (g, v) in grad[..dim].iter_mut().zip(x.emb) {
                *g += r * v;
            }
            for &(i, v) in x.words {
                grad[dim + i] += r * v;
            }
            grad[len - 1] += r;
        }
        for (g, w) in grad[..len - 1].iter_mut().zip(&look[..len - 1]) {
            *g += opts.l2 * w;
        }
        prev.copy_from_slice(&theta);
        for ((t, l), g) in theta.iter_mut().zip(&look).zip(&grad) {
            *t = l - step * g;
        }
    }
    Head {
        bias: theta[len - 1],
        weights: theta[..dim].to_vec(),
        words: theta[dim..len - 1].to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: [f32; 3]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    fn emb(e: &[f32]) -> Sample<'_> {
        Sample { emb: e, words: &[] }
    }

    #[test]
    fn separates_two_directions() {
        let pos: Vec<Vec<f32>> = (0..20)
            .map(|i| unit([1.0, 0.1 * (i % 5) as f32, 0.05 * i as f32]))
            .collect();
        let neg: Vec<Vec<f32>> = (0..200)
            .map(|i| unit([-0.2, 1.0, 0.01 * (i % 17) as f32]))
            .collect();
        let xs: Vec<Sample> = pos.iter().chain(&neg).map(|e| emb(e)).collect();
        let ys: Vec<bool> = (0..220).map(|i| i < 20).collect();
        let head = fit(&xs, &ys, 0, FitOptions::default());
        assert!(pos.iter().all(|x| head.prob(emb(x)) > 0.8));
        assert!(neg.iter().all(|x| head.prob(emb(x)) < 0.2));
        // Balanced weights: an ambiguous point between the classes sits near the middle.
        let mid = head.prob(emb(&unit([0.4, 0.55, 0.0])));
        assert!((0.05..0.95).contains(&mid), "{mid}");
    }

    #[test]
    fn a_word_separates_what_the_embedding_cannot() {
        // Same embedding; only term 1 ("only") tells the classes apart.
        let e = unit([1.0, 1.0, 0.0]);
        let with = [(0usize, 0.6f32), (1, 0.8)];
        let without = [(0usize, 1.0f32)];
        let xs: Vec<Sample> = (0..40)
            .map(|i| Sample {
                emb: &e,
                words: if i % 2 == 0 { &with } else { &without },
            })
            .collect();
        let ys: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
        let head = fit(&xs, &ys, 2, FitOptions::default());
        assert!(head.prob(xs[0]) > 0.8 && head.prob(xs[1]) < 0.2, "{head:?}");
        assert!(head.words[1] > 0.0);
    }

    #[test]
    fn stronger_penalty_shrinks_weights() {
        let xs_v = [unit([1.0, 0.0, 0.0]), unit([0.0, 1.0, 0.0])];
        let xs: Vec<Sample> = xs_v.iter().map(|e| emb(e)).collect();
        let weak = fit(
            &xs,
            &[true, false],
            0,
            FitOptions {
                l2: 1e-3,
                iterations: 300,
            },
        );
        let strong = fit(
            &xs,
            &[true, false],
            0,
            FitOptions {
                l2: 1.0,
                iterations: 300,
            },
        );
        let norm = |h: &Head| h.weights.iter().map(|w| w * w).sum::<f32>();
        assert!(norm(&strong) < norm(&weak));
    }
}
