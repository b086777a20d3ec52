// max_pool.h: max pooling, 1-D or 2-D (1-D: in_h = kernel_h = stride_h = dilation_h = out_h = 1),
// one sample: x[C][H][W] -> y[C][out_h][out_w]. Padding is ignored (never the maximum).
// Twin of runtime/src/ops/max_pool.rs. The contract both keep:
//   loops        c, oy, ox, then the taps ky, kx;
//   maximum      in_t, starting at in_t's lowest value (every window reads an input);
//                exact comparisons;
//   rounding     one point: y = m (in_t -> out_t; none when they agree).
//
// CONFIG:
//   static const int channels, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w;
//   static const int dilation_h, dilation_w, pad_top, pad_left, out_h, out_w;
//   typedef ... in_t, out_t;
#ifndef BINPOINT_KERNELS_MAX_POOL_H_
#define BINPOINT_KERNELS_MAX_POOL_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void max_pool(const typename CONFIG::in_t x[CONFIG::channels * CONFIG::in_h * CONFIG::in_w],
              typename CONFIG::out_t y[CONFIG::channels * CONFIG::out_h * CONFIG::out_w]) {
max_pool_c:
  for (int c = 0; c < CONFIG::channels; c++) {
  max_pool_oy:
    for (int oy = 0; oy < CONFIG::out_h; oy++) {
    max_pool_ox:
      for (int ox = 0; ox < CONFIG::out_w; ox++) {
        BP_PRAGMA(HLS PIPELINE II=1)
        typename CONFIG::in_t m = limits<typename CONFIG::in_t>::lowest();
      max_pool_ky:
        for (int ky = 0; ky < CONFIG::kernel_h; ky++) {
        max_pool_kx:
          for (int kx = 0; kx < CONFIG::kernel_w; kx++) {
            const int iy = oy * CONFIG::stride_h + ky * CONFIG::dilation_h - CONFIG::pad_top;
            const int ix = ox * CONFIG::stride_w + kx * CONFIG::dilation_w - CONFIG::pad_left;
            if (iy >= 0 && iy < CONFIG::in_h && ix >= 0 && ix < CONFIG::in_w) {
              const typename CONFIG::in_t v = x[(c * CONFIG::in_h + iy) * CONFIG::in_w + ix];
              if (v > m) m = v;
            }
          }
        }
        y[(c * CONFIG::out_h + oy) * CONFIG::out_w + ox] = m;
      }
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_MAX_POOL_H_
