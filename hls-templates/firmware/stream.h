// stream.h: the words and adapters of a dataflow (io stream) design.
//
// Layout: a tensor of one sample with shape [C, d1, d2, ...] crosses a stream as P = d1*d2*...
// words, one per pixel in raster order (row-major over d1, d2, ...); a word holds the C channels
// of its pixel (word<T, C>). A rank-1 tensor [N] is one word of N channels. Value (c, p) of the
// channels-first array x[C][P] is word p, channel c.
//
// The adapters move whole tensors between that layout and the channels-first arrays the
// interface and the array kernels use; they copy values, they never round.
#ifndef BINPOINT_FIRMWARE_STREAM_H_
#define BINPOINT_FIRMWARE_STREAM_H_
#include <hls_stream.h>

#include "binpoint_io.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
namespace binpoint {

// One pixel: the C channels of a position.
template <class T, int C>
struct word {
  T v[C];
};

// Channels-first x[C][P] -> P words.
template <class T, int C, int P>
void array_to_stream(const T x[C * P], hls::stream<word<T, C> >& out) {
array_to_stream_p:
  for (int p = 0; p < P; p++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    word<T, C> w;
  array_to_stream_c:
    for (int c = 0; c < C; c++) w.v[c] = x[c * P + p];
    out.write(w);
  }
}

// P words -> channels-first x[C][P].
template <class T, int C, int P>
void stream_to_array(hls::stream<word<T, C> >& in, T x[C * P]) {
stream_to_array_p:
  for (int p = 0; p < P; p++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    const word<T, C> w = in.read();
  stream_to_array_c:
    for (int c = 0; c < C; c++) x[c * P + p] = w.v[c];
  }
}

// A tensor read by several layers: every word of `in` to each output, n words.
template <class T, int C>
void clone2(hls::stream<word<T, C> >& in, hls::stream<word<T, C> >& a,
            hls::stream<word<T, C> >& b, long long n) {
clone2_i:
  for (long long i = 0; i < n; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    const word<T, C> w = in.read();
    a.write(w);
    b.write(w);
  }
}

// An element-wise kernel applied pixel by pixel: KERNEL_CONFIG is the layer's config with
// size = C (the kernel's loop over one word). n words.
template <class T, int C, class U, class KERNEL>
void map_pixels(hls::stream<word<T, C> >& in, hls::stream<word<U, C> >& out, long long n) {
map_pixels_i:
  for (long long i = 0; i < n; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    const word<T, C> x = in.read();
    word<U, C> y;
    KERNEL::run(x.v, y.v);
    out.write(y);
  }
}

}  // namespace binpoint

// With -DBINPOINT_TRACE (C simulation only): a layer's output stream passes through
// trace_stream, which reports each sample's tensor channels-first (as the array design's
// BP_TRACE does) and forwards every word.
#ifdef BINPOINT_TRACE
namespace binpoint {
template <int LAYER, class T, int C, int P>
void trace_stream(hls::stream<word<T, C> >& in, hls::stream<word<T, C> >& out,
                  unsigned n_samples) {
  static T x[C * P];
  for (unsigned s = 0; s < n_samples; s++) {
    for (int p = 0; p < P; p++) {
      const word<T, C> w = in.read();
      for (int c = 0; c < C; c++) x[c * P + p] = w.v[c];
      out.write(w);
    }
    trace_layer(LAYER, x, C * P);
  }
}
}  // namespace binpoint
#endif
#pragma GCC diagnostic pop
#endif  // BINPOINT_FIRMWARE_STREAM_H_
