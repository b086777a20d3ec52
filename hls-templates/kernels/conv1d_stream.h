// conv1d_stream.h: 1-D convolution of a dataflow design, x[C_in][L] as L pixels of C_in
// channels -> out_len pixels of C_out. It is conv2d_stream on a plane of height 1: the same
// taps in the same order (t = (ci within the group of co, k)), so the bits of conv1d.h.
//
// CONFIG: conv1d.h's (in_channels, out_channels, groups, in_len, kernel, stride, dilation,
//   pad_left, out_len, fan_in, reuse_factor, block_factor; typedefs in_t, weight_t, bias_t,
//   accum_t, out_t).
#ifndef BINPOINT_KERNELS_CONV1D_STREAM_H_
#define BINPOINT_KERNELS_CONV1D_STREAM_H_
#include "conv2d_stream.h"
namespace binpoint {

// A conv1d CONFIG seen as a conv2d one of height 1.
template <class CONFIG>
struct conv1d_as_conv2d : CONFIG {
  static const int in_h = 1, in_w = CONFIG::in_len;
  static const int kernel_h = 1, kernel_w = CONFIG::kernel;
  static const int stride_h = 1, stride_w = CONFIG::stride;
  static const int dilation_h = 1, dilation_w = CONFIG::dilation;
  static const int pad_top = 0, out_h = 1, out_w = CONFIG::out_len;
};

template <class CONFIG>
void conv1d_stream(hls::stream<word<typename CONFIG::in_t, CONFIG::in_channels> >& x,
                   hls::stream<word<typename CONFIG::out_t, CONFIG::out_channels> >& y,
                   const typename CONFIG::weight_t w[CONFIG::out_channels][CONFIG::fan_in],
                   const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  BP_PRAGMA(HLS INLINE)
  conv2d_stream<conv1d_as_conv2d<CONFIG> >(x, y, w, b);
}

}  // namespace binpoint
#endif  // BINPOINT_KERNELS_CONV1D_STREAM_H_
