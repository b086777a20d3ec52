// softmax.h: softmax by tables, one sample: for each of outer x inner positions, over len
// elements; element k of position (o, i) is x[(o * len + k) * inner + i].
// Twin of runtime/src/ops/softmax.rs. The contract both keep, per position:
//   1. m = max_k x[k], from x[0], exact comparisons;
//   2. for each k: diff_t d = m - x[k] (exact: diff_t holds every difference);
//      e[k] = exp[index(d)] (exp_t); sum += e[k] (sum_t, exact for len entries);
//   3. r = inv[index(sum)] (inv_t; the index is the sum's raw bits);
//   4. for each k: y[k] = e[k] * r: the exact product, cast into out_t (the only rounding point).
//   loops   o, i, then three passes over k (max; exp and sum; products);
//   index   lut.h's lut_index on each table's LUT_INDEX (the index arithmetic of runtime's LutTable).
//
// CONFIG:
//   static const int outer, len, inner;
//   struct exp_index { static const int size, shift, width; static const long long origin; };
//   struct inv_index { static const int size, shift, width; static const long long origin; };
//   typedef ... in_t, diff_t, exp_t, sum_t, inv_t, out_t;  // diff_t: exp's index type;
//                                                          // exp_t, inv_t: the entry types
// exp_table and inv_table hold the raw bits of exp_t and inv_t values.
#ifndef BINPOINT_KERNELS_SOFTMAX_H_
#define BINPOINT_KERNELS_SOFTMAX_H_

#include "binpoint_common.h"
#include "lut.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void softmax(const typename CONFIG::in_t x[CONFIG::outer * CONFIG::len * CONFIG::inner],
             typename CONFIG::out_t y[CONFIG::outer * CONFIG::len * CONFIG::inner],
             const ap_uint<CONFIG::exp_t::width> exp_table[CONFIG::exp_index::size],
             const ap_uint<CONFIG::inv_t::width> inv_table[CONFIG::inv_index::size]) {
  typedef typename CONFIG::in_t in_t;
  typedef typename CONFIG::exp_t exp_t;
  typedef typename CONFIG::inv_t inv_t;
  const int len = CONFIG::len;
  const int inner = CONFIG::inner;
softmax_o:
  for (int o = 0; o < CONFIG::outer; o++) {
  softmax_i:
    for (int i = 0; i < inner; i++) {
      const int base = o * len * inner + i;
      exp_t e[CONFIG::len];
      in_t m = x[base];
    softmax_max:
      for (int k = 1; k < len; k++) {
        BP_PRAGMA(HLS PIPELINE II=1)
        if (x[base + k * inner] > m) m = x[base + k * inner];
      }
      typename CONFIG::sum_t sum = 0;
    softmax_exp:
      for (int k = 0; k < len; k++) {
        BP_PRAGMA(HLS PIPELINE II=1)
        const typename CONFIG::diff_t d = m - x[base + k * inner];
        e[k] = lut_entry<exp_t>(exp_table[lut_index<typename CONFIG::exp_index>(d)]);
        sum += e[k];
      }
      const inv_t r = lut_entry<inv_t>(inv_table[lut_index<typename CONFIG::inv_index>(sum)]);
    softmax_out:
      for (int k = 0; k < len; k++) {
        BP_PRAGMA(HLS PIPELINE II=1)
        y[base + k * inner] = e[k] * r;
      }
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_SOFTMAX_H_
