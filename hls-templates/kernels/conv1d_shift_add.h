// conv1d_shift_add.h: 1-D convolution with K-hot weights, multiplier-free. One sample, NCW:
// x[C_in][L], digit tables [C_out][C_in/groups][k][khot], b[C_out] -> y[C_out][out_len].
// Twin of runtime/src/ops/conv1d_shift_add.rs, and bit-identical to conv1d.h on the same weights
// (shift_add.h says why). The contract both keep:
//   loops        ox (pipelined), then co, then the taps ci (within the group of co), kx, then the
//                weight's khot digit slots (unrolled: constant shifts); a tap outside the input
//                is padding and adds nothing;
//   accumulator  the raw products' sum in raw_t, then acc = sum << prod_shift +
//                bias << bias_shift, reinterpreted as accum_t: exact;
//   rounding     one point: y = acc (accum_t -> out_t).
//
// CONFIG:
//   static const int in_channels, out_channels, groups, khot;
//   static const int in_len, kernel, stride, dilation, pad_left, out_len;
//   static const int reuse_factor;  // II of the position loop
//   static const int prod_shift, bias_shift;
//   typedef ... in_t, bias_t, accum_t, out_t, raw_t, in_raw_t, bias_raw_t, shift_t, sign_t;
#ifndef BINPOINT_KERNELS_CONV1D_SHIFT_ADD_H_
#define BINPOINT_KERNELS_CONV1D_SHIFT_ADD_H_

#include "shift_add.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void conv1d_shift_add(
    const typename CONFIG::in_t x[CONFIG::in_channels * CONFIG::in_len],
    typename CONFIG::out_t y[CONFIG::out_channels * CONFIG::out_len],
    const typename CONFIG::shift_t shift[CONFIG::out_channels * (CONFIG::in_channels / CONFIG::groups) *
                                         CONFIG::kernel * CONFIG::khot],
    const typename CONFIG::sign_t sign[CONFIG::out_channels * (CONFIG::in_channels / CONFIG::groups) *
                                       CONFIG::kernel * CONFIG::khot],
    const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  typedef typename CONFIG::raw_t raw_t;
  const int cin_g = CONFIG::in_channels / CONFIG::groups;
  const int cout_g = CONFIG::out_channels / CONFIG::groups;
conv1d_sa_ox:
  for (int ox = 0; ox < CONFIG::out_len; ox++) {
    BP_PRAGMA(HLS PIPELINE II=CONFIG::reuse_factor)
  conv1d_sa_co:
    for (int co = 0; co < CONFIG::out_channels; co++) {
      BP_PRAGMA(HLS UNROLL)
      raw_t sum = 0;
    conv1d_sa_ci:
      for (int cl = 0; cl < cin_g; cl++) {
        const int ci = co / cout_g * cin_g + cl;
      conv1d_sa_kx:
        for (int kx = 0; kx < CONFIG::kernel; kx++) {
          const int ix = ox * CONFIG::stride + kx * CONFIG::dilation - CONFIG::pad_left;
          if (ix >= 0 && ix < CONFIG::in_len) {
            const raw_t xr = raw_bits<typename CONFIG::in_raw_t>(x[ci * CONFIG::in_len + ix]);
          conv1d_sa_digit:
            for (int t = 0; t < CONFIG::khot; t++) {
              shift_add_term(sum, xr, shift[((co * cin_g + cl) * CONFIG::kernel + kx) * CONFIG::khot + t],
                             sign[((co * cin_g + cl) * CONFIG::kernel + kx) * CONFIG::khot + t]);
            }
          }
        }
      }
      y[co * CONFIG::out_len + ox] = shift_add_accum<CONFIG>(sum, b[co]);
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_CONV1D_SHIFT_ADD_H_
