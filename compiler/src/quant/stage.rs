//! The typing stage as one call: the K-hot projection of the weights, calibration (or range
//! propagation) of the projected graph, and typing. `compile`, the low-rank tolerance search and
//! `--learn` (when it freezes the learned binary points) all type a graph through this function,
//! so that what they measure is what ships.

use ndarray::ArrayD;

use super::{
    calibrate, khot, propagation_range, type_graph, PrecisionConfig, QuantError, RangeSource,
    TypedGraph,
};
use crate::ir::{Graph, Op};

/// Where the integer bits come from.
#[derive(Clone, Copy, Debug)]
pub enum Ranges<'a> {
    /// The ranges seen on these inputs (the graph's input shape), by the config's method.
    Calibrated(&'a ArrayD<f32>),
    /// Interval propagation from this input range (`--input-range`), else the config's
    /// `[calibration] input_range`, else [-1, 1].
    Propagated(Option<(f64, f64)>),
}

/// Projects K-hot layers' weights (`khot` in the config), then calibrates and types the projected
/// graph. The typed graph carries the projected weights.
pub fn calibrate_and_type(
    g: &Graph,
    cfg: &PrecisionConfig,
    ranges: Ranges<'_>,
) -> Result<TypedGraph, QuantError> {
    let projected = project_weights(g, cfg)?;
    match ranges {
        Ranges::Calibrated(x) => {
            let mut cal = calibrate(
                &projected,
                std::slice::from_ref(x),
                cfg.calibration.method(),
            )?;
            cal.headroom = cfg.calibration.headroom.unwrap_or(0);
            type_graph(&projected, cfg, RangeSource::Calibrated(&cal))
        }
        Ranges::Propagated(given) => {
            let range = propagation_range(given, cfg, &[]);
            type_graph(&projected, cfg, RangeSource::Propagated(vec![range]))
        }
    }
}

/// `g` with the weights of its K-hot layers (Conv/Dense whose config resolves `khot = K`)
/// projected in the types [`super::type_graph`] will give them: the float model the fixed-point
/// one approximates. `binpoint compile` calibrates this graph, so that activation ranges are those
/// of the K-hot model; [`super::type_graph`] projects again (a no-op on projected weights) and
/// marks the layers. Errors name the layer (e.g. a projected weight that `f32` cannot hold).
pub fn project_weights(g: &Graph, cfg: &PrecisionConfig) -> Result<Graph, QuantError> {
    cfg.check_names(g)?;
    let mut out = g.clone();
    for n in g.node_indices() {
        let node = g.node(n);
        let Some(k) = (match node.op {
            Op::Conv(_) | Op::Dense(_) => cfg.resolve(node).khot,
            _ => None,
        }) else {
            continue;
        };
        let Some(&w) = g.inputs_of(n).get(1) else {
            continue;
        };
        let Some(data) = g.const_data(w) else {
            return Err(QuantError::node(
                g,
                &node.name,
                node.op.name(),
                format!("khot = {k} needs constant weights"),
            ));
        };
        let ty = super::typing::const_type(g, cfg, w)?;
        let values: Vec<f64> = data
            .to_f32()
            .iter()
            .map(|&v| khot::project(f64::from(v), k, &ty))
            .collect();
        khot::store_projected(&mut out, w, &values)?;
    }
    Ok(out)
}
