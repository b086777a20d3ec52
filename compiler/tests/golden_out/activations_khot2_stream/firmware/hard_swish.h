// hard_swish.h: y = x * clamp(alpha * x + beta, 0, 1), alpha and beta fixed-point constants.
// Twin of runtime/src/ops/hard_swish.rs. The contract both keep: one loop;
//   t = alpha * x + beta (the header's exact result type);
//   if (t <= 0) y = 0; else if (t >= 1) y = x; else y = x * t;
// exact comparisons and an exact product; one rounding point, into out_t.
//
// CONFIG:
//   static const int size;
//   static const long long alpha_bits, beta_bits;  // raw bits in alpha_t, beta_t
//   typedef ... in_t, alpha_t, beta_t, out_t;
#ifndef BINPOINT_KERNELS_HARD_SWISH_H_
#define BINPOINT_KERNELS_HARD_SWISH_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void hard_swish(const typename CONFIG::in_t x[CONFIG::size],
                typename CONFIG::out_t y[CONFIG::size]) {
  const typename CONFIG::alpha_t alpha = from_bits<typename CONFIG::alpha_t>(CONFIG::alpha_bits);
  const typename CONFIG::beta_t beta = from_bits<typename CONFIG::beta_t>(CONFIG::beta_bits);
hard_swish_i:
  for (int i = 0; i < CONFIG::size; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    const auto t = alpha * x[i] + beta;
    if (t <= 0) {
      y[i] = 0;
    } else if (t >= 1) {
      y[i] = x[i];
    } else {
      y[i] = x[i] * t;
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_HARD_SWISH_H_
