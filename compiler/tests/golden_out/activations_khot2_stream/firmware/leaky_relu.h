// leaky_relu.h: y = x < 0 ? alpha * x : x, alpha a fixed-point constant of alpha_t.
// Twin of runtime/src/ops/leaky_relu.rs. The contract both keep: one loop; alpha * x is the
// header's exact product; one rounding point, alpha * x (negative x) or x -> out_t.
//
// CONFIG:
//   static const int size;
//   static const long long alpha_bits;  // raw bits of alpha in alpha_t
//   typedef ... in_t, alpha_t, out_t;
#ifndef BINPOINT_KERNELS_LEAKY_RELU_H_
#define BINPOINT_KERNELS_LEAKY_RELU_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void leaky_relu(const typename CONFIG::in_t x[CONFIG::size],
                typename CONFIG::out_t y[CONFIG::size]) {
  const typename CONFIG::alpha_t alpha = from_bits<typename CONFIG::alpha_t>(CONFIG::alpha_bits);
leaky_relu_i:
  for (int i = 0; i < CONFIG::size; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    if (x[i] < 0) {
      y[i] = alpha * x[i];
    } else {
      y[i] = x[i];
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_LEAKY_RELU_H_
