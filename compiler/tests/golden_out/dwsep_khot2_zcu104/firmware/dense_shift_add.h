// dense_shift_add.h: fully connected layer with K-hot weights, multiplier-free:
// y[o] = b[o] + sum_i sum_t sign[o][i][t] * (x[i] << shift[o][i][t]).
// Twin of runtime/src/ops/dense_shift_add.rs, and bit-identical to dense.h on the same weights
// (shift_add.h says why). The contract both keep:
//   loops        o over outputs, then i over inputs, then the weight's khot digit slots;
//   accumulator  the raw products' sum in raw_t (ap_int, accum_t's width), then
//                acc = sum << prod_shift + bias << bias_shift, reinterpreted as accum_t: exact;
//   rounding     one point: y[o] = acc (accum_t -> out_t).
// Every loop is unrolled: each weight is its own shift-add circuit with constant shifts.
//
// CONFIG:
//   static const int n_in, n_out, khot;
//   static const int prod_shift;    // F_acc - F_x - F_w
//   static const int bias_shift;    // F_acc - F_b
//   typedef ... in_t, bias_t, accum_t, out_t;
//   typedef ... raw_t;              // ap_int<W_acc>
//   typedef ... in_raw_t, bias_raw_t;  // ap_int<W> / ap_uint<W> of in_t, bias_t
//   typedef ... shift_t, sign_t;    // digit tables: [n_out][n_in][khot]
#ifndef BINPOINT_KERNELS_DENSE_SHIFT_ADD_H_
#define BINPOINT_KERNELS_DENSE_SHIFT_ADD_H_

#include "shift_add.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void dense_shift_add(const typename CONFIG::in_t x[CONFIG::n_in],
                     typename CONFIG::out_t y[CONFIG::n_out],
                     const typename CONFIG::shift_t shift[CONFIG::n_out * CONFIG::n_in * CONFIG::khot],
                     const typename CONFIG::sign_t sign[CONFIG::n_out * CONFIG::n_in * CONFIG::khot],
                     const typename CONFIG::bias_t b[CONFIG::n_out]) {
  typedef typename CONFIG::raw_t raw_t;
  BP_PRAGMA(HLS ARRAY_PARTITION variable=x complete)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=y complete)
dense_sa_out:
  for (int o = 0; o < CONFIG::n_out; o++) {
    BP_PRAGMA(HLS UNROLL)
    raw_t sum = 0;
  dense_sa_in:
    for (int i = 0; i < CONFIG::n_in; i++) {
      BP_PRAGMA(HLS UNROLL)
      const raw_t xr = raw_bits<typename CONFIG::in_raw_t>(x[i]);
    dense_sa_digit:
      for (int t = 0; t < CONFIG::khot; t++) {
        BP_PRAGMA(HLS UNROLL)
        shift_add_term(sum, xr, shift[(o * CONFIG::n_in + i) * CONFIG::khot + t],
                       sign[(o * CONFIG::n_in + i) * CONFIG::khot + t]);
      }
    }
    y[o] = shift_add_accum<CONFIG>(sum, b[o]);
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_DENSE_SHIFT_ADD_H_
