// conv2d_shift_add.h: 2-D convolution with K-hot weights, multiplier-free. One sample, NCHW:
// x[C_in][H][W], digit tables [C_out][C_in/groups][kh][kw][khot], b[C_out] ->
// y[C_out][out_h][out_w]. Groups, stride, zero padding, dilation as conv2d.h.
// Twin of runtime/src/ops/conv2d_shift_add.rs, and bit-identical to conv2d.h on the same weights
// (shift_add.h says why). The contract both keep:
//   loops        oy, ox (pipelined), then co, then the taps ci (within the group of co), ky, kx,
//                then the weight's khot digit slots (unrolled: constant shifts); a tap outside
//                the input is padding and adds nothing;
//   accumulator  the raw products' sum in raw_t, then acc = sum << prod_shift +
//                bias << bias_shift, reinterpreted as accum_t: exact;
//   rounding     one point: y = acc (accum_t -> out_t).
//
// CONFIG:
//   static const int in_channels, out_channels, groups, khot;
//   static const int in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
//   static const int pad_top, pad_left, out_h, out_w;
//   static const int reuse_factor;  // II of the pixel loop
//   static const int prod_shift, bias_shift;
//   typedef ... in_t, bias_t, accum_t, out_t, raw_t, in_raw_t, bias_raw_t, shift_t, sign_t;
#ifndef BINPOINT_KERNELS_CONV2D_SHIFT_ADD_H_
#define BINPOINT_KERNELS_CONV2D_SHIFT_ADD_H_

#include "shift_add.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void conv2d_shift_add(
    const typename CONFIG::in_t x[CONFIG::in_channels * CONFIG::in_h * CONFIG::in_w],
    typename CONFIG::out_t y[CONFIG::out_channels * CONFIG::out_h * CONFIG::out_w],
    const typename CONFIG::shift_t shift[CONFIG::out_channels * (CONFIG::in_channels / CONFIG::groups) *
                                         CONFIG::kernel_h * CONFIG::kernel_w * CONFIG::khot],
    const typename CONFIG::sign_t sign[CONFIG::out_channels * (CONFIG::in_channels / CONFIG::groups) *
                                       CONFIG::kernel_h * CONFIG::kernel_w * CONFIG::khot],
    const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  typedef typename CONFIG::raw_t raw_t;
  const int cin_g = CONFIG::in_channels / CONFIG::groups;
  const int cout_g = CONFIG::out_channels / CONFIG::groups;
conv2d_sa_oy:
  for (int oy = 0; oy < CONFIG::out_h; oy++) {
  conv2d_sa_ox:
    for (int ox = 0; ox < CONFIG::out_w; ox++) {
      BP_PRAGMA(HLS PIPELINE II=CONFIG::reuse_factor)
    conv2d_sa_co:
      for (int co = 0; co < CONFIG::out_channels; co++) {
        BP_PRAGMA(HLS UNROLL)
        raw_t sum = 0;
      conv2d_sa_ci:
        for (int cl = 0; cl < cin_g; cl++) {
          const int ci = co / cout_g * cin_g + cl;
        conv2d_sa_ky:
          for (int ky = 0; ky < CONFIG::kernel_h; ky++) {
          conv2d_sa_kx:
            for (int kx = 0; kx < CONFIG::kernel_w; kx++) {
              const int iy = oy * CONFIG::stride_h + ky * CONFIG::dilation_h - CONFIG::pad_top;
              const int ix = ox * CONFIG::stride_w + kx * CONFIG::dilation_w - CONFIG::pad_left;
              if (iy >= 0 && iy < CONFIG::in_h && ix >= 0 && ix < CONFIG::in_w) {
                const raw_t xr = raw_bits<typename CONFIG::in_raw_t>(
                    x[(ci * CONFIG::in_h + iy) * CONFIG::in_w + ix]);
              conv2d_sa_digit:
                for (int t = 0; t < CONFIG::khot; t++) {
                  shift_add_term(
                      sum, xr,
                      shift[(((co * cin_g + cl) * CONFIG::kernel_h + ky) * CONFIG::kernel_w + kx) *
                                CONFIG::khot + t],
                      sign[(((co * cin_g + cl) * CONFIG::kernel_h + ky) * CONFIG::kernel_w + kx) *
                               CONFIG::khot + t]);
                }
              }
            }
          }
        }
        y[(co * CONFIG::out_h + oy) * CONFIG::out_w + ox] = shift_add_accum<CONFIG>(sum, b[co]);
      }
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_CONV2D_SHIFT_ADD_H_
