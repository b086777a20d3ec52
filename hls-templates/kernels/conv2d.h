// conv2d.h: 2-D convolution, one sample, NCHW: x[C_in][H][W], w[C_out][C_in/groups * kh * kw],
// b[C_out] -> y[C_out][out_h][out_w]. Groups (depthwise: groups = C_in), stride, zero padding,
// dilation.
// Twin of runtime/src/ops/conv2d.rs. The contract both keep:
//   order        output pixels one after another; each output value's sum starts from its bias
//                and adds its taps t = (ci within the group of co, ky, kx) in increasing t; a tap
//                outside the input is padding and adds a zero product;
//   accumulator  CONFIG::accum_t: acc = b[co], then acc += (accum_t)(x * w); wide enough for
//                bias + (C_in/groups)*kh*kw products with every fraction bit, so every step is exact;
//   rounding     one point: y = acc (accum_t -> out_t).
//
// CONFIG:
//   static const int in_channels, out_channels, groups;
//   static const int in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
//   static const int pad_top, pad_left, out_h, out_w;  // bottom/right padding is implied by out_h/out_w
//   static const int fan_in;         // (C_in/groups) * kernel_h * kernel_w: taps per output value
//   static const int strategy;       // binpoint::latency or binpoint::resource
//   static const int reuse_factor;   // hls4ml's, per output pixel: each multiplier serves that many
//                                    // of its fan_in*C_out products; a pixel takes reuse_factor cycles
//   static const int block_factor;   // fan_in*C_out / reuse_factor: multipliers
//   static const int output_groups;  // resource: output channel groups done one after another
//   static const int in_banks;       // resource: cyclic partition factor of x (1: two ports, a
//                                    // step waits for its taps; in_channels*in_h*in_w: registers)
//   static const int out_banks;      // resource: block partition factor of y (1, or out_channels:
//                                    // a plane per channel, a step writes its outputs at once)
//   typedef ... in_t, weight_t, bias_t, accum_t, out_t;
#ifndef BINPOINT_KERNELS_CONV2D_H_
#define BINPOINT_KERNELS_CONV2D_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

// Tap t of output channel co at output pixel (oy, ox): the input value, or 0 for padding.
template <class CONFIG>
typename CONFIG::in_t conv2d_tap(
    const typename CONFIG::in_t x[CONFIG::in_channels * CONFIG::in_h * CONFIG::in_w], int co,
    int t, int oy, int ox) {
  BP_PRAGMA(HLS INLINE)
  const int cin_g = CONFIG::in_channels / CONFIG::groups;
  const int cout_g = CONFIG::out_channels / CONFIG::groups;
  const int kx = t % CONFIG::kernel_w;
  const int ky = t / CONFIG::kernel_w % CONFIG::kernel_h;
  const int ci = co / cout_g * cin_g + t / (CONFIG::kernel_w * CONFIG::kernel_h);
  const int iy = oy * CONFIG::stride_h + ky * CONFIG::dilation_h - CONFIG::pad_top;
  const int ix = ox * CONFIG::stride_w + kx * CONFIG::dilation_w - CONFIG::pad_left;
  if (iy >= 0 && iy < CONFIG::in_h && ix >= 0 && ix < CONFIG::in_w) {
    return x[(ci * CONFIG::in_h + iy) * CONFIG::in_w + ix];
  }
  return 0;
}

template <class CONFIG>
void conv2d_latency(
    const typename CONFIG::in_t x[CONFIG::in_channels * CONFIG::in_h * CONFIG::in_w],
    typename CONFIG::out_t y[CONFIG::out_channels * CONFIG::out_h * CONFIG::out_w],
    const typename CONFIG::weight_t w[CONFIG::out_channels][CONFIG::fan_in],
    const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  const int pixels = CONFIG::out_h * CONFIG::out_w;
  BP_PRAGMA(HLS FUNCTION_INSTANTIATE variable=w)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=x complete)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=y complete)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=w complete dim=0)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=b complete)
  BP_PRAGMA(HLS ALLOCATION operation instances=mul limit=CONFIG::block_factor)
conv2d_pixel:
  for (int p = 0; p < pixels; p++) {
    BP_PRAGMA(HLS PIPELINE II=CONFIG::reuse_factor)
  conv2d_co:
    for (int co = 0; co < CONFIG::out_channels; co++) {
      typename CONFIG::accum_t acc = b[co];
    conv2d_tap:
      for (int t = 0; t < CONFIG::fan_in; t++) {
        acc += (typename CONFIG::accum_t)(conv2d_tap<CONFIG>(x, co, t, p / CONFIG::out_w,
                                                             p % CONFIG::out_w) *
                                          w[co][t]);
      }
      y[co * pixels + p] = acc;
    }
  }
}

template <class CONFIG>
void conv2d_resource(
    const typename CONFIG::in_t x[CONFIG::in_channels * CONFIG::in_h * CONFIG::in_w],
    typename CONFIG::out_t y[CONFIG::out_channels * CONFIG::out_h * CONFIG::out_w],
    const typename CONFIG::weight_t w[CONFIG::out_channels][CONFIG::fan_in],
    const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  const int pixels = CONFIG::out_h * CONFIG::out_w;
  const int all_steps = CONFIG::out_h * CONFIG::out_w * CONFIG::reuse_factor;
  const int steps = CONFIG::reuse_factor / CONFIG::output_groups;  // per output group
  const int outs = CONFIG::out_channels / CONFIG::output_groups;   // outputs per step
  const int ins = CONFIG::fan_in / steps;                           // taps per output per step
  BP_PRAGMA(HLS ARRAY_PARTITION variable=w cyclic factor=outs dim=1)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=w cyclic factor=ins dim=2)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=x cyclic factor=CONFIG::in_banks)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=y block factor=CONFIG::out_banks)
  typename CONFIG::accum_t acc[outs];
  BP_PRAGMA(HLS ARRAY_PARTITION variable=acc complete)
conv2d_step:
  for (int k = 0; k < all_steps; k++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    const int p = k / CONFIG::reuse_factor;
    const int g = k % CONFIG::reuse_factor / steps;
    const int s = k % steps;
  conv2d_step_out:
    for (int ol = 0; ol < outs; ol++) {
      const int co = g * outs + ol;
      if (s == 0) acc[ol] = b[co];
    conv2d_step_tap:
      for (int j = 0; j < ins; j++) {
        const int t = s * ins + j;
        acc[ol] += (typename CONFIG::accum_t)(conv2d_tap<CONFIG>(x, co, t, p / CONFIG::out_w,
                                                                 p % CONFIG::out_w) *
                                              w[co][t]);
      }
      if (s == steps - 1) y[co * pixels + p] = acc[ol];
    }
  }
}

template <class CONFIG>
void conv2d(
    const typename CONFIG::in_t x[CONFIG::in_channels * CONFIG::in_h * CONFIG::in_w],
    typename CONFIG::out_t y[CONFIG::out_channels * CONFIG::out_h * CONFIG::out_w],
    const typename CONFIG::weight_t w[CONFIG::out_channels][CONFIG::fan_in],
    const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  BP_PRAGMA(HLS INLINE)
  if (CONFIG::strategy == latency) {
    conv2d_latency<CONFIG>(x, y, w, b);
  } else {
    conv2d_resource<CONFIG>(x, y, w, b);
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_CONV2D_H_
