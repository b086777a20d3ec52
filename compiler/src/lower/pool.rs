//! Pooling: MaxPool and GlobalMaxPool move raw values (the output type is the input's);
//! AveragePool, GlobalAveragePool and ReduceMean over all spatial axes sum exactly and divide by a
//! shift or by the reciprocal of the typed graph (`Kernel::Pool`).

use binpoint_runtime::model::format::{
    layer::Kernel as KernelProto, AveragePoolProto, GlobalAveragePoolProto, GlobalMaxPoolProto,
    MaxPoolProto,
};
use binpoint_runtime::FixedType;
use petgraph::stable_graph::NodeIndex;

use super::{ty_proto, window_proto, At, LowerError};
use crate::ir::Op;
use crate::quant::bits::{ceil_log2_u64, Wide};
use crate::quant::Kernel;

pub(super) fn lower(at: &At<'_>) -> Result<(KernelProto, Vec<NodeIndex>), LowerError> {
    let x = at.input(0)?;
    let shape = at.shape(x)?;
    let (channels, spatial) = match shape.split_first() {
        Some((&c, rest)) if !rest.is_empty() => (c, rest.to_vec()),
        _ => {
            return Err(at.err(format!(
                "pools over [C, spatial...], the input is {shape:?}"
            )))
        }
    };
    let size: usize = spatial.iter().product();
    let kernel = match &at.node().op {
        Op::MaxPool(p) => KernelProto::MaxPool(MaxPoolProto {
            channels: channels as u64,
            window: Some(window_proto(&p.window, &spatial).map_err(|r| at.err(r))?),
        }),
        Op::GlobalMaxPool(_) => KernelProto::GlobalMaxPool(GlobalMaxPoolProto {
            channels: channels as u64,
            size: size as u64,
        }),
        Op::AveragePool(p) => {
            let (sum, recip) = average_types(at)?;
            // The runtime proves its accumulator holds a full window; the typed sum holds the
            // largest divisor, which is smaller when windows overlap the padding. Widening an
            // exact accumulator changes no bit.
            let taps = p.window.kernel.iter().product::<usize>() as u64;
            let accum = widen(at, sum, at.ty(x)?, taps)?;
            KernelProto::AveragePool(AveragePoolProto {
                channels: channels as u64,
                window: Some(window_proto(&p.window, &spatial).map_err(|r| at.err(r))?),
                count_include_pad: p.count_include_pad,
                accum_type: ty_proto(accum),
                recip_type: ty_proto(recip),
            })
        }
        Op::GlobalAveragePool(_) => global_average(at, channels, size)?,
        Op::ReduceMean(r) => {
            let rank = shape.len() + 1;
            if r.axes != (2..rank).collect::<Vec<_>>() {
                return Err(at.err(format!(
                    "ReduceMean over axes {:?}: only the mean over all spatial axes (2..{rank}) \
                     has a kernel",
                    r.axes
                )));
            }
            global_average(at, channels, size)?
        }
        _ => return Err(at.err("not a pooling op")),
    };
    Ok((kernel, vec![x]))
}

fn global_average(at: &At<'_>, channels: usize, size: usize) -> Result<KernelProto, LowerError> {
    let (sum, recip) = average_types(at)?;
    Ok(KernelProto::GlobalAveragePool(GlobalAveragePoolProto {
        channels: channels as u64,
        size: size as u64,
        accum_type: ty_proto(sum),
        recip_type: ty_proto(recip),
    }))
}

/// The typed pool's exact sum and reciprocal types.
fn average_types(at: &At<'_>) -> Result<(FixedType, FixedType), LowerError> {
    let Kernel::Pool {
        sum, reciprocal, ..
    } = &at.types.kernel
    else {
        return Err(at.err("an average needs a `pool` kernel"));
    };
    let recip = reciprocal
        .factors
        .first()
        .map(|f| f.ty)
        .ok_or_else(|| at.err("the pool has no divisor"))?;
    Ok((*sum, recip))
}

/// `sum`, or the exact sum of `taps` values of `x` when that is wider.
fn widen(at: &At<'_>, sum: FixedType, x: FixedType, taps: u64) -> Result<FixedType, LowerError> {
    let grow = i64::from(ceil_log2_u64(taps));
    if i64::from(sum.width()) - i64::from(x.width()) >= grow {
        return Ok(sum);
    }
    Wide {
        signed: x.is_signed(),
        width: i64::from(x.width()) + grow,
        int_bits: i64::from(x.int_bits()) + grow,
    }
    .declare()
    .map_err(|w| at.err(format!("the window sum needs {w} bits, more than 64")))
}
