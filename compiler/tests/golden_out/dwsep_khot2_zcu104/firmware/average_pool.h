// average_pool.h: average pooling, 1-D or 2-D (1-D: height 1), one sample:
// x[C][H][W] -> y[C][out_h][out_w].
// Twin of runtime/src/ops/average_pool.rs. The contract both keep:
//   loops        c, oy, ox, then the taps ky, kx; padding adds nothing; the divisor n counts the
//                inputs read, or with count_include_pad the taps inside the input and its
//                explicit padding (not the extra area of ceil_mode), as ONNX;
//   accumulator  CONFIG::accum_t, from 0, wide enough for kernel_h*kernel_w inputs: exact;
//   divide       shift_divide: every divisor is 2^k; the sum's bits are reread as shift_t (the
//                accumulator's bits with k more fractional bits): exact;
//                otherwise: acc * recip[n], where recip[n] is 1/n rounded into recip_t once by
//                binpoint (a second rounding point); the product is exact;
//   rounding     y = (shift_t or the product) -> out_t.
//
// CONFIG:
//   static const int channels, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w;
//   static const int dilation_h, dilation_w, pad_top, pad_left, pad_bottom, pad_right, out_h, out_w;
//   static const bool count_include_pad, shift_divide;
//   typedef ... in_t, accum_t, recip_t, shift_t, out_t;  // shift_t: accum_t's width, I - k
// recip has kernel_h*kernel_w + 1 entries, indexed by the divisor (entry 0 unused).
#ifndef BINPOINT_KERNELS_AVERAGE_POOL_H_
#define BINPOINT_KERNELS_AVERAGE_POOL_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void average_pool(
    const typename CONFIG::in_t x[CONFIG::channels * CONFIG::in_h * CONFIG::in_w],
    typename CONFIG::out_t y[CONFIG::channels * CONFIG::out_h * CONFIG::out_w],
    const typename CONFIG::recip_t recip[CONFIG::kernel_h * CONFIG::kernel_w + 1]) {
  typedef typename CONFIG::accum_t accum_t;
  typedef typename CONFIG::shift_t shift_t;
average_pool_c:
  for (int c = 0; c < CONFIG::channels; c++) {
  average_pool_oy:
    for (int oy = 0; oy < CONFIG::out_h; oy++) {
    average_pool_ox:
      for (int ox = 0; ox < CONFIG::out_w; ox++) {
        BP_PRAGMA(HLS PIPELINE II=1)
        accum_t acc = 0;
        int n = 0;
      average_pool_ky:
        for (int ky = 0; ky < CONFIG::kernel_h; ky++) {
        average_pool_kx:
          for (int kx = 0; kx < CONFIG::kernel_w; kx++) {
            const int iy = oy * CONFIG::stride_h + ky * CONFIG::dilation_h - CONFIG::pad_top;
            const int ix = ox * CONFIG::stride_w + kx * CONFIG::dilation_w - CONFIG::pad_left;
            const bool inside = iy >= 0 && iy < CONFIG::in_h && ix >= 0 && ix < CONFIG::in_w;
            const bool padded = iy < CONFIG::in_h + CONFIG::pad_bottom &&
                                ix < CONFIG::in_w + CONFIG::pad_right;
            if (CONFIG::count_include_pad ? padded : inside) n++;
            if (inside) acc += x[(c * CONFIG::in_h + iy) * CONFIG::in_w + ix];
          }
        }
        typename CONFIG::out_t& out = y[(c * CONFIG::out_h + oy) * CONFIG::out_w + ox];
        if (CONFIG::shift_divide) {
          shift_t q;
          q.range(shift_t::width - 1, 0) = acc.range(accum_t::width - 1, 0);
          out = q;
        } else {
          out = acc * recip[n];
        }
      }
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_AVERAGE_POOL_H_
