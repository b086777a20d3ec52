// dense.h: fully connected layer, y[o] = b[o] + sum_i x[i] * w[o][i].
// Twin of runtime/src/ops/dense.rs. The contract both keep:
//   loops        o over outputs, then i over inputs;
//   accumulator  CONFIG::accum_t, initialised with the bias; wide enough for bias + n_in
//                products, so every += is exact;
//   rounding     one point: y[o] = acc (accum_t -> out_t with out_t's Q and O).
// Weights are [n_out][n_in] row-major.
//
// CONFIG (computed by binpoint; names as below):
//   static const int n_in, n_out;
//   static const int reuse_factor;  // II of the output loop: each multiplier serves that many products
//   static const int block_factor;  // ceil(n_in / reuse_factor): multipliers, array partitioning
//   typedef ... in_t, weight_t, bias_t, accum_t, out_t;
#ifndef BINPOINT_KERNELS_DENSE_H_
#define BINPOINT_KERNELS_DENSE_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void dense(const typename CONFIG::in_t x[CONFIG::n_in],
           typename CONFIG::out_t y[CONFIG::n_out],
           const typename CONFIG::weight_t w[CONFIG::n_out * CONFIG::n_in],
           const typename CONFIG::bias_t b[CONFIG::n_out]) {
  BP_PRAGMA(HLS ARRAY_PARTITION variable=x cyclic factor=CONFIG::block_factor)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=w cyclic factor=CONFIG::block_factor)
dense_out:
  for (int o = 0; o < CONFIG::n_out; o++) {
    BP_PRAGMA(HLS PIPELINE II=CONFIG::reuse_factor)
    typename CONFIG::accum_t acc = b[o];
  dense_in:
    for (int i = 0; i < CONFIG::n_in; i++) {
      acc += x[i] * w[o * CONFIG::n_in + i];
    }
    y[o] = acc;
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_DENSE_H_
