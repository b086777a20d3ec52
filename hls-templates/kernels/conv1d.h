// conv1d.h: 1-D convolution, one sample, NCW: x[C_in][L], w[C_out][C_in/groups * k], b[C_out]
// -> y[C_out][out_len]. Groups, stride, zero padding, dilation.
// Twin of runtime/src/ops/conv1d.rs. It is conv2d.h on a 1 × L image with a 1 × k kernel, and
// keeps the same contract (order, accumulator, rounding point, strategies, reuse factor).
//
// CONFIG:
//   static const int in_channels, out_channels, groups;
//   static const int in_len, kernel, stride, dilation, pad_left, out_len;
//   static const int fan_in;         // (C_in/groups) * kernel
//   static const int strategy, reuse_factor, block_factor, output_groups;  // as conv2d.h
//   static const int in_banks, out_banks;                                  // as conv2d.h
//   typedef ... in_t, weight_t, bias_t, accum_t, out_t;
#ifndef BINPOINT_KERNELS_CONV1D_H_
#define BINPOINT_KERNELS_CONV1D_H_

#include "conv2d.h"

namespace binpoint {

// A 1-D config read as the 2-D one of a 1 × L image.
template <class C>
struct conv1d_as_2d {
  static const int in_channels = C::in_channels, out_channels = C::out_channels;
  static const int groups = C::groups, fan_in = C::fan_in;
  static const int in_h = 1, in_w = C::in_len, kernel_h = 1, kernel_w = C::kernel;
  static const int stride_h = 1, stride_w = C::stride, dilation_h = 1, dilation_w = C::dilation;
  static const int pad_top = 0, pad_left = C::pad_left, out_h = 1, out_w = C::out_len;
  static const int strategy = C::strategy, reuse_factor = C::reuse_factor;
  static const int block_factor = C::block_factor, output_groups = C::output_groups;
  static const int in_banks = C::in_banks, out_banks = C::out_banks;
  typedef typename C::in_t in_t;
  typedef typename C::weight_t weight_t;
  typedef typename C::bias_t bias_t;
  typedef typename C::accum_t accum_t;
  typedef typename C::out_t out_t;
};

template <class CONFIG>
void conv1d(const typename CONFIG::in_t x[CONFIG::in_channels * CONFIG::in_len],
            typename CONFIG::out_t y[CONFIG::out_channels * CONFIG::out_len],
            const typename CONFIG::weight_t w[CONFIG::out_channels][CONFIG::fan_in],
            const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  BP_PRAGMA(HLS INLINE)
  conv2d<conv1d_as_2d<CONFIG> >(x, y, w, b);
}

}  // namespace binpoint

#endif  // BINPOINT_KERNELS_CONV1D_H_
