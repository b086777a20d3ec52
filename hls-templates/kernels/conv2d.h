// conv2d.h: 2-D convolution, one sample, NCHW: x[C_in][H][W], w[C_out][C_in/groups][kh][kw],
// b[C_out] -> y[C_out][out_h][out_w]. Groups (depthwise: groups = C_in), stride, zero padding,
// dilation.
// Twin of runtime/src/ops/conv2d.rs. The contract both keep:
//   loops        co, oy, ox, then the taps ci (within the group of co), ky, kx; a tap outside
//                the input is padding and adds nothing;
//   accumulator  CONFIG::accum_t, initialised with the bias; wide enough for bias +
//                (C_in/groups)*kh*kw products, so every += is exact;
//   rounding     one point: y = acc (accum_t -> out_t).
//
// CONFIG:
//   static const int in_channels, out_channels, groups;
//   static const int in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
//   static const int pad_top, pad_left, out_h, out_w;  // bottom/right padding is implied by out_h/out_w
//   static const int reuse_factor;  // II of the pixel loop: each multiplier serves that many taps
//   static const int block_factor;  // ceil(fan_in / reuse_factor): multipliers, weight partitioning
//   typedef ... in_t, weight_t, bias_t, accum_t, out_t;
#ifndef BINPOINT_KERNELS_CONV2D_H_
#define BINPOINT_KERNELS_CONV2D_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void conv2d(
    const typename CONFIG::in_t x[CONFIG::in_channels * CONFIG::in_h * CONFIG::in_w],
    typename CONFIG::out_t y[CONFIG::out_channels * CONFIG::out_h * CONFIG::out_w],
    const typename CONFIG::weight_t w[CONFIG::out_channels * (CONFIG::in_channels / CONFIG::groups) *
                                      CONFIG::kernel_h * CONFIG::kernel_w],
    const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  const int cin_g = CONFIG::in_channels / CONFIG::groups;
  const int cout_g = CONFIG::out_channels / CONFIG::groups;
  BP_PRAGMA(HLS ARRAY_PARTITION variable=w cyclic factor=CONFIG::block_factor)
conv2d_co:
  for (int co = 0; co < CONFIG::out_channels; co++) {
  conv2d_oy:
    for (int oy = 0; oy < CONFIG::out_h; oy++) {
    conv2d_ox:
      for (int ox = 0; ox < CONFIG::out_w; ox++) {
        BP_PRAGMA(HLS PIPELINE II=CONFIG::reuse_factor)
        typename CONFIG::accum_t acc = b[co];
      conv2d_ci:
        for (int cl = 0; cl < cin_g; cl++) {
          const int ci = co / cout_g * cin_g + cl;
        conv2d_ky:
          for (int ky = 0; ky < CONFIG::kernel_h; ky++) {
          conv2d_kx:
            for (int kx = 0; kx < CONFIG::kernel_w; kx++) {
              const int iy = oy * CONFIG::stride_h + ky * CONFIG::dilation_h - CONFIG::pad_top;
              const int ix = ox * CONFIG::stride_w + kx * CONFIG::dilation_w - CONFIG::pad_left;
              if (iy >= 0 && iy < CONFIG::in_h && ix >= 0 && ix < CONFIG::in_w) {
                acc += x[(ci * CONFIG::in_h + iy) * CONFIG::in_w + ix] *
                       w[((co * cin_g + cl) * CONFIG::kernel_h + ky) * CONFIG::kernel_w + kx];
              }
            }
          }
        }
        y[(co * CONFIG::out_h + oy) * CONFIG::out_w + ox] = acc;
      }
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_CONV2D_H_
