// dense.h: fully connected layer, y[o] = b[o] + sum_i x[i] * w[o][i].
// Twin of runtime/src/ops/dense.rs. The contract both keep:
//   order        every output's sum starts from its bias and adds its products in increasing i;
//   accumulator  CONFIG::accum_t: acc = b[o], then acc += (accum_t)(x[i] * w[o][i]); wide enough
//                for bias + n_in products with every fraction bit, so every step is exact;
//   rounding     one point: y[o] = acc (accum_t -> out_t with out_t's Q and O).
// Weights are w[n_out][n_in].
//
// CONFIG (computed by binpoint; names as below):
//   static const int n_in, n_out;
//   static const int strategy;       // binpoint::latency or binpoint::resource (binpoint_common.h)
//   static const int reuse_factor;   // hls4ml's: each multiplier serves that many of the n_in*n_out
//                                    // products; one sample takes reuse_factor cycles
//   static const int block_factor;   // n_in*n_out / reuse_factor: multipliers
//   static const int output_groups;  // resource: output groups done one after another
//   typedef ... in_t, weight_t, bias_t, accum_t, out_t;
// The reuse factor satisfies hls4ml's rule (it divides n_in, or is a multiple of n_in dividing
// n_in*n_out), so a step is n_out/output_groups outputs × n_in*output_groups/reuse_factor inputs.
#ifndef BINPOINT_KERNELS_DENSE_H_
#define BINPOINT_KERNELS_DENSE_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void dense_latency(const typename CONFIG::in_t x[CONFIG::n_in],
                   typename CONFIG::out_t y[CONFIG::n_out],
                   const typename CONFIG::weight_t w[CONFIG::n_out][CONFIG::n_in],
                   const typename CONFIG::bias_t b[CONFIG::n_out]) {
  BP_PRAGMA(HLS FUNCTION_INSTANTIATE variable=w)
  BP_PRAGMA(HLS PIPELINE II=CONFIG::reuse_factor)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=x complete)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=y complete)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=w complete dim=0)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=b complete)
  BP_PRAGMA(HLS ALLOCATION operation instances=mul limit=CONFIG::block_factor)
dense_out:
  for (int o = 0; o < CONFIG::n_out; o++) {
    typename CONFIG::accum_t acc = b[o];
  dense_in:
    for (int i = 0; i < CONFIG::n_in; i++) {
      acc += (typename CONFIG::accum_t)(x[i] * w[o][i]);
    }
    y[o] = acc;
  }
}

template <class CONFIG>
void dense_resource(const typename CONFIG::in_t x[CONFIG::n_in],
                    typename CONFIG::out_t y[CONFIG::n_out],
                    const typename CONFIG::weight_t w[CONFIG::n_out][CONFIG::n_in],
                    const typename CONFIG::bias_t b[CONFIG::n_out]) {
  const int steps = CONFIG::reuse_factor / CONFIG::output_groups;  // per output group
  const int outs = CONFIG::n_out / CONFIG::output_groups;          // outputs per step
  const int ins = CONFIG::n_in / steps;                             // inputs per output per step
  BP_PRAGMA(HLS ARRAY_PARTITION variable=x cyclic factor=ins)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=y cyclic factor=outs)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=w cyclic factor=outs dim=1)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=w cyclic factor=ins dim=2)
  typename CONFIG::accum_t acc[outs];
  BP_PRAGMA(HLS ARRAY_PARTITION variable=acc complete)
dense_step:
  for (int k = 0; k < CONFIG::reuse_factor; k++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    const int g = k / steps;
    const int s = k % steps;
  dense_step_out:
    for (int ol = 0; ol < outs; ol++) {
      const int o = g * outs + ol;
      if (s == 0) acc[ol] = b[o];
    dense_step_in:
      for (int j = 0; j < ins; j++) {
        const int i = s * ins + j;
        acc[ol] += (typename CONFIG::accum_t)(x[i] * w[o][i]);
      }
      if (s == steps - 1) y[o] = acc[ol];
    }
  }
}

template <class CONFIG>
void dense(const typename CONFIG::in_t x[CONFIG::n_in],
           typename CONFIG::out_t y[CONFIG::n_out],
           const typename CONFIG::weight_t w[CONFIG::n_out][CONFIG::n_in],
           const typename CONFIG::bias_t b[CONFIG::n_out]) {
  BP_PRAGMA(HLS INLINE)
  if (CONFIG::strategy == latency) {
    dense_latency<CONFIG>(x, y, w, b);
  } else {
    dense_resource<CONFIG>(x, y, w, b);
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_DENSE_H_
