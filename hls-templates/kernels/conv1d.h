// conv1d.h: 1-D convolution, one sample, NCW: x[C_in][L], w[C_out][C_in/groups][k], b[C_out]
// -> y[C_out][out_len]. Groups, stride, zero padding, dilation.
// Twin of runtime/src/ops/conv1d.rs. The contract both keep:
//   loops        co, ox, then the taps ci (within the group of co), kx; a tap outside the
//                input is padding and adds nothing;
//   accumulator  CONFIG::accum_t, initialised with the bias; wide enough for bias +
//                (C_in/groups)*k products, so every += is exact;
//   rounding     one point: y = acc (accum_t -> out_t).
//
// CONFIG:
//   static const int in_channels, out_channels, groups;
//   static const int in_len, kernel, stride, dilation, pad_left, out_len;
//   static const int reuse_factor;  // II of the position loop
//   static const int block_factor;  // ceil(fan_in / reuse_factor)
//   typedef ... in_t, weight_t, bias_t, accum_t, out_t;
#ifndef BINPOINT_KERNELS_CONV1D_H_
#define BINPOINT_KERNELS_CONV1D_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void conv1d(
    const typename CONFIG::in_t x[CONFIG::in_channels * CONFIG::in_len],
    typename CONFIG::out_t y[CONFIG::out_channels * CONFIG::out_len],
    const typename CONFIG::weight_t w[CONFIG::out_channels * (CONFIG::in_channels / CONFIG::groups) *
                                      CONFIG::kernel],
    const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  const int cin_g = CONFIG::in_channels / CONFIG::groups;
  const int cout_g = CONFIG::out_channels / CONFIG::groups;
  BP_PRAGMA(HLS ARRAY_PARTITION variable=w cyclic factor=CONFIG::block_factor)
conv1d_co:
  for (int co = 0; co < CONFIG::out_channels; co++) {
  conv1d_ox:
    for (int ox = 0; ox < CONFIG::out_len; ox++) {
      BP_PRAGMA(HLS PIPELINE II=CONFIG::reuse_factor)
      typename CONFIG::accum_t acc = b[co];
    conv1d_ci:
      for (int cl = 0; cl < cin_g; cl++) {
        const int ci = co / cout_g * cin_g + cl;
      conv1d_kx:
        for (int kx = 0; kx < CONFIG::kernel; kx++) {
          const int ix = ox * CONFIG::stride + kx * CONFIG::dilation - CONFIG::pad_left;
          if (ix >= 0 && ix < CONFIG::in_len) {
            acc += x[ci * CONFIG::in_len + ix] * w[(co * cin_g + cl) * CONFIG::kernel + kx];
          }
        }
      }
      y[co * CONFIG::out_len + ox] = acc;
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_CONV1D_H_
