//! Compression of the float IR, after cleanup and before calibration: fewer MACs for the same
//! function, chosen per layer ([`low_rank`]: truncated SVD of Dense and Conv weights). K-hot
//! (multiplier-free) weights are a typing decision and live in `quant::khot`.

pub mod low_rank;
