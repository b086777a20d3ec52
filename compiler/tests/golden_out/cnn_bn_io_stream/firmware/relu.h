// relu.h: y = max(x, 0).
// Twin of runtime/src/ops/relu.rs. The contract both keep: one loop; x > 0 exact; one rounding
// point, y = x (in_t -> out_t) for positive x, y = 0 otherwise.
//
// CONFIG:
//   static const int size;
//   typedef ... in_t, out_t;
#ifndef BINPOINT_KERNELS_RELU_H_
#define BINPOINT_KERNELS_RELU_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void relu(const typename CONFIG::in_t x[CONFIG::size], typename CONFIG::out_t y[CONFIG::size]) {
relu_i:
  for (int i = 0; i < CONFIG::size; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    if (x[i] > 0) {
      y[i] = x[i];
    } else {
      y[i] = 0;
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_RELU_H_
