// max_pool_stream.h: max pooling (1-D or 2-D) of a dataflow design: pixels in, pixels out
// (stream.h's layout), over line_buffer.h's sliding window. One sample per call. Same CONFIG
// as max_pool.h.
// Computes the bits of max_pool.h (the twin of runtime/src/ops/max_pool.rs): per channel, the
// running maximum in in_t from in_t's lowest value over the taps (ky, kx) inside the input
// (padding is never the maximum; exact comparisons); one rounding point, y = m.
// Timing: one padded position per cycle (II 1).
//
// CONFIG: max_pool.h's (channels, the Window2 members; typedefs in_t, out_t).
#ifndef BINPOINT_KERNELS_MAX_POOL_STREAM_H_
#define BINPOINT_KERNELS_MAX_POOL_STREAM_H_
#include "binpoint_common.h"
#include "line_buffer.h"
#include "stream.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
namespace binpoint {

template <class CONFIG>
void max_pool_stream(hls::stream<word<typename CONFIG::in_t, CONFIG::channels> >& x,
                     hls::stream<word<typename CONFIG::out_t, CONFIG::channels> >& y) {
  typedef typename CONFIG::in_t in_t;
  typedef window_geometry<CONFIG> geom;
  static sliding_window<CONFIG, in_t, CONFIG::channels> sw;
  BP_PRAGMA(HLS ARRAY_PARTITION variable=sw.line complete dim=1)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=sw.line complete dim=3)
  BP_PRAGMA(HLS ARRAY_PARTITION variable=sw.win complete dim=0)
max_pool_stream_walk:
  for (int k = 0; k < geom::rows * geom::cols; k++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    const int py = k / geom::cols, px = k % geom::cols;
    word<in_t, CONFIG::channels> in;
    if (geom::inside(py, px)) {
      in = x.read();
    } else {
    max_pool_stream_pad:
      for (int c = 0; c < CONFIG::channels; c++) in.v[c] = 0;
    }
    sw.push(px, in.v);
    int oy = 0, ox = 0;
    if (geom::completes(py, px, oy, ox)) {
      word<typename CONFIG::out_t, CONFIG::channels> out;
    max_pool_stream_c:
      for (int c = 0; c < CONFIG::channels; c++) {
        in_t m = limits<in_t>::lowest();
      max_pool_stream_ky:
        for (int ky = 0; ky < CONFIG::kernel_h; ky++) {
        max_pool_stream_kx:
          for (int kx = 0; kx < CONFIG::kernel_w; kx++) {
            const int iy = oy * CONFIG::stride_h + ky * CONFIG::dilation_h - CONFIG::pad_top;
            const int ix = ox * CONFIG::stride_w + kx * CONFIG::dilation_w - CONFIG::pad_left;
            if (iy >= 0 && iy < CONFIG::in_h && ix >= 0 && ix < CONFIG::in_w) {
              const in_t v = sw.win[ky * CONFIG::dilation_h][kx * CONFIG::dilation_w][c];
              if (v > m) m = v;
            }
          }
        }
        out.v[c] = m;
      }
      y.write(out);
    }
  }
}

}  // namespace binpoint
#pragma GCC diagnostic pop
#endif  // BINPOINT_KERNELS_MAX_POOL_STREAM_H_
