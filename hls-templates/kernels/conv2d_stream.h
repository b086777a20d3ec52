// conv2d_stream.h: 2-D convolution of a dataflow design: pixels in, pixels out (stream.h's
// layout: one word = the channels of a pixel, raster order), over line_buffer.h's sliding
// window. One sample per call. Same CONFIG as conv2d.h (groups, stride, zero padding,
// dilation).
// Computes the bits of conv2d.h (the twin of runtime/src/ops/conv2d.rs): each output value's
// sum starts from its bias and adds its taps t = (ci within the group of co, ky, kx) in
// increasing t, acc += (accum_t)(x * w) in CONFIG::accum_t; a tap in the padding reads the
// zero the walk pushed there (a zero product, as conv2d.h); one rounding point, y = acc.
//
// Timing: the walk takes one padded position per iteration, pipelined at II = reuse_factor
// (each multiplier serves reuse_factor of an output pixel's fan_in * C_out products), so a
// pixel in costs reuse_factor cycles; at most block_factor multipliers. The strategy only
// changes where the weights live: latency, registers (constants HLS builds each product
// from); resource, block_factor ROM banks (one word of each read per cycle).
//
// CONFIG: conv2d.h's (in_channels, out_channels, groups, the Window2 members, fan_in,
//   reuse_factor, block_factor; typedefs in_t, weight_t, bias_t, accum_t, out_t).
#ifndef BINPOINT_KERNELS_CONV2D_STREAM_H_
#define BINPOINT_KERNELS_CONV2D_STREAM_H_
#include "binpoint_common.h"
#include "line_buffer.h"
#include "stream.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
namespace binpoint {

template <class CONFIG>
void conv2d_stream_walk(hls::stream<word<typename CONFIG::in_t, CONFIG::in_channels> >& x,
                        hls::stream<word<typename CONFIG::out_t, CONFIG::out_channels> >& y,
                        const typename CONFIG::weight_t w[CONFIG::out_channels][CONFIG::fan_in],
                        const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  BP_PRAGMA(HLS INLINE)
  typedef typename CONFIG::in_t in_t;
  typedef typename CONFIG::accum_t accum_t;
  typedef window_geometry<CONFIG> geom;
  const int cin_g = CONFIG::in_channels / CONFIG::groups;
  const int cout_g = CONFIG::out_channels / CONFIG::groups;
  const int taps = CONFIG::kernel_h * CONFIG::kernel_w;
  static sliding_window<CONFIG, in_t, CONFIG::in_channels> sw;
  BP_PRAGMA(HLS ARRAY_PARTITION variable=sw.line complete dim=1)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=sw.line complete dim=3)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=sw.win complete dim=0)
  BP_PRAGMA(HLS ALLOCATION operation instances=mul limit=CONFIG::block_factor)
conv2d_stream_walk:
  for (int k = 0; k < geom::rows * geom::cols; k++) {
    BP_PRAGMA(HLS PIPELINE II=CONFIG::reuse_factor)
    const int py = k / geom::cols, px = k % geom::cols;
    word<in_t, CONFIG::in_channels> in;
    if (geom::inside(py, px)) {
      in = x.read();
    } else {
    conv2d_stream_pad:
      for (int c = 0; c < CONFIG::in_channels; c++) in.v[c] = 0;
    }
    sw.push(px, in.v);
    int oy = 0, ox = 0;
    if (geom::completes(py, px, oy, ox)) {
      word<typename CONFIG::out_t, CONFIG::out_channels> out;
    conv2d_stream_co:
      for (int co = 0; co < CONFIG::out_channels; co++) {
        accum_t acc = b[co];
      conv2d_stream_tap:
        for (int t = 0; t < CONFIG::fan_in; t++) {
          const int ci = co / cout_g * cin_g + t / taps;
          const int ky = t / CONFIG::kernel_w % CONFIG::kernel_h;
          const int kx = t % CONFIG::kernel_w;
          acc += (accum_t)(sw.win[ky * CONFIG::dilation_h][kx * CONFIG::dilation_w][ci] *
                           w[co][t]);
        }
        out.v[co] = acc;
      }
      y.write(out);
    }
  }
}

template <class CONFIG>
void conv2d_stream_latency(hls::stream<word<typename CONFIG::in_t, CONFIG::in_channels> >& x,
                           hls::stream<word<typename CONFIG::out_t, CONFIG::out_channels> >& y,
                           const typename CONFIG::weight_t w[CONFIG::out_channels][CONFIG::fan_in],
                           const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  BP_PRAGMA(HLS ARRAY_PARTITION variable=w complete dim=0)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=b complete)
  conv2d_stream_walk<CONFIG>(x, y, w, b);
}

template <class CONFIG>
void conv2d_stream_resource(hls::stream<word<typename CONFIG::in_t, CONFIG::in_channels> >& x,
                            hls::stream<word<typename CONFIG::out_t, CONFIG::out_channels> >& y,
                            const typename CONFIG::weight_t w[CONFIG::out_channels][CONFIG::fan_in],
                            const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  BP_PRAGMA(HLS ARRAY_RESHAPE variable=w cyclic factor=CONFIG::block_factor dim=2)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=b complete)
  conv2d_stream_walk<CONFIG>(x, y, w, b);
}

template <class CONFIG>
void conv2d_stream(hls::stream<word<typename CONFIG::in_t, CONFIG::in_channels> >& x,
                   hls::stream<word<typename CONFIG::out_t, CONFIG::out_channels> >& y,
                   const typename CONFIG::weight_t w[CONFIG::out_channels][CONFIG::fan_in],
                   const typename CONFIG::bias_t b[CONFIG::out_channels]) {
  BP_PRAGMA(HLS INLINE)
  if (CONFIG::strategy == latency) {
    conv2d_stream_latency<CONFIG>(x, y, w, b);
  } else {
    conv2d_stream_resource<CONFIG>(x, y, w, b);
  }
}

}  // namespace binpoint
#pragma GCC diagnostic pop
#endif  // BINPOINT_KERNELS_CONV2D_STREAM_H_
