// affine.h: per-channel affine y[c][i] = x[c][i] * scale[c] + shift[c] (BatchNorm kept as a layer).
// Twin of runtime/src/ops/affine.rs. The contract both keep:
//   loops        c, then i over the channel's values;
//   arithmetic   x * scale + shift in the header's exact result type (no declared intermediate);
//   rounding     one point: y = that result (-> out_t).
//
// CONFIG:
//   static const int channels, size;
//   typedef ... in_t, scale_t, shift_t, out_t;
#ifndef BINPOINT_KERNELS_AFFINE_H_
#define BINPOINT_KERNELS_AFFINE_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void affine(const typename CONFIG::in_t x[CONFIG::channels * CONFIG::size],
            typename CONFIG::out_t y[CONFIG::channels * CONFIG::size],
            const typename CONFIG::scale_t scale[CONFIG::channels],
            const typename CONFIG::shift_t shift[CONFIG::channels]) {
affine_c:
  for (int c = 0; c < CONFIG::channels; c++) {
  affine_i:
    for (int i = 0; i < CONFIG::size; i++) {
      BP_PRAGMA(HLS PIPELINE II=1)
      y[c * CONFIG::size + i] = x[c * CONFIG::size + i] * scale[c] + shift[c];
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_AFFINE_H_
