// average_pool_stream.h: average pooling (1-D or 2-D) of a dataflow design: pixels in, pixels
// out (stream.h's layout), over line_buffer.h's sliding window. One sample per call. Same
// CONFIG and reciprocal table as average_pool.h.
// Computes the bits of average_pool.h (the twin of runtime/src/ops/average_pool.rs): per
// channel, acc in accum_t from 0 adds the taps (ky, kx) inside the input (exact); the divisor
// n counts them, or with count_include_pad the taps inside the input and its explicit padding;
// shift_divide rereads the sum's bits as shift_t, otherwise acc * recip[n]; one rounding
// point into out_t.
// Timing: one padded position per cycle (II 1).
//
// CONFIG: average_pool.h's (channels, the Window2 members with pad_bottom, pad_right,
//   count_include_pad, shift_divide; typedefs in_t, accum_t, recip_t, shift_t, out_t).
#ifndef BINPOINT_KERNELS_AVERAGE_POOL_STREAM_H_
#define BINPOINT_KERNELS_AVERAGE_POOL_STREAM_H_
#include "binpoint_common.h"
#include "line_buffer.h"
#include "stream.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
namespace binpoint {

template <class CONFIG>
void average_pool_stream(hls::stream<word<typename CONFIG::in_t, CONFIG::channels> >& x,
                         hls::stream<word<typename CONFIG::out_t, CONFIG::channels> >& y,
                         const typename CONFIG::recip_t recip[CONFIG::kernel_h * CONFIG::kernel_w + 1]) {
  typedef typename CONFIG::in_t in_t;
  typedef typename CONFIG::accum_t accum_t;
  typedef typename CONFIG::shift_t shift_t;
  typedef window_geometry<CONFIG> geom;
  static sliding_window<CONFIG, in_t, CONFIG::channels> sw;
  BP_PRAGMA(HLS ARRAY_PARTITION variable=sw.line complete dim=1)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=sw.line complete dim=3)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=sw.win complete dim=0)
average_pool_stream_walk:
  for (int k = 0; k < geom::rows * geom::cols; k++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    const int py = k / geom::cols, px = k % geom::cols;
    word<in_t, CONFIG::channels> in;
    if (geom::inside(py, px)) {
      in = x.read();
    } else {
    average_pool_stream_pad:
      for (int c = 0; c < CONFIG::channels; c++) in.v[c] = 0;
    }
    sw.push(px, in.v);
    int oy = 0, ox = 0;
    if (geom::completes(py, px, oy, ox)) {
      word<typename CONFIG::out_t, CONFIG::channels> out;
    average_pool_stream_c:
      for (int c = 0; c < CONFIG::channels; c++) {
        accum_t acc = 0;
        int n = 0;
      average_pool_stream_ky:
        for (int ky = 0; ky < CONFIG::kernel_h; ky++) {
        average_pool_stream_kx:
          for (int kx = 0; kx < CONFIG::kernel_w; kx++) {
            const int iy = oy * CONFIG::stride_h + ky * CONFIG::dilation_h - CONFIG::pad_top;
            const int ix = ox * CONFIG::stride_w + kx * CONFIG::dilation_w - CONFIG::pad_left;
            const bool inside = iy >= 0 && iy < CONFIG::in_h && ix >= 0 && ix < CONFIG::in_w;
            const bool padded = iy < CONFIG::in_h + CONFIG::pad_bottom &&
                                ix < CONFIG::in_w + CONFIG::pad_right;
            if (CONFIG::count_include_pad ? padded : inside) n++;
            if (inside) acc += sw.win[ky * CONFIG::dilation_h][kx * CONFIG::dilation_w][c];
          }
        }
        if (CONFIG::shift_divide) {
          shift_t q;
          q.range(shift_t::width - 1, 0) = acc.range(accum_t::width - 1, 0);
          out.v[c] = q;
        } else {
          out.v[c] = acc * recip[n];
        }
      }
      y.write(out);
    }
  }
}

}  // namespace binpoint
#pragma GCC diagnostic pop
#endif  // BINPOINT_KERNELS_AVERAGE_POOL_STREAM_H_
