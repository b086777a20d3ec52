// line_buffer.h: the sliding window of the stream kernels (conv2d_stream, conv1d_stream,
// max_pool_stream, average_pool_stream); no twin of its own, it only moves values.
//
// A windowed layer reads its input as pixels in raster order (stream.h: one word = the C
// channels of a pixel). The kernel walks the *padded* raster, rows x cols positions:
//   rows = max(pad_top + in_h, (out_h - 1) * stride_h + span_h), span_h = (kernel_h - 1) *
//   dilation_h + 1 (cols alike); a position inside the input reads the next word, any other
//   position (padding, and the extra area of ceil_mode) pushes zeros.
// The window holds the span_h x span_w positions ending at the current one; the line buffer
// the span_h - 1 padded rows above it (one word per column and row). Output (oy, ox) is
// complete when the walk reaches padded position (oy * stride_h + span_h - 1, ox * stride_w +
// span_w - 1); its tap (ky, kx) is window[ky * dilation_h][kx * dilation_w]. Because each
// position completes at most one output, outputs leave in raster order.
//
// GEOM (a kernel's CONFIG with the Window2 members): in_h, in_w, kernel_h, kernel_w, stride_h,
// stride_w, dilation_h, dilation_w, pad_top, pad_left, out_h, out_w.
#ifndef BINPOINT_KERNELS_LINE_BUFFER_H_
#define BINPOINT_KERNELS_LINE_BUFFER_H_
#include "binpoint_common.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"
namespace binpoint {

template <class GEOM>
struct window_geometry {
  static const int span_h = (GEOM::kernel_h - 1) * GEOM::dilation_h + 1;
  static const int span_w = (GEOM::kernel_w - 1) * GEOM::dilation_w + 1;
  static const int need_h = (GEOM::out_h - 1) * GEOM::stride_h + span_h;
  static const int need_w = (GEOM::out_w - 1) * GEOM::stride_w + span_w;
  static const int rows = GEOM::pad_top + GEOM::in_h > need_h ? GEOM::pad_top + GEOM::in_h : need_h;
  static const int cols = GEOM::pad_left + GEOM::in_w > need_w ? GEOM::pad_left + GEOM::in_w : need_w;
  // Rows of the line buffer (at least one, unused when span_h = 1).
  static const int lines = span_h > 1 ? span_h - 1 : 1;

  // Padded position (py, px) reads a word of the input.
  static bool inside(int py, int px) {
    return py >= GEOM::pad_top && py < GEOM::pad_top + GEOM::in_h && px >= GEOM::pad_left &&
           px < GEOM::pad_left + GEOM::in_w;
  }
  // Padded position (py, px) completes output (oy, ox) (set only when it does).
  static bool completes(int py, int px, int& oy, int& ox) {
    const int ry = py - (span_h - 1), rx = px - (span_w - 1);
    if (ry < 0 || rx < 0 || ry % GEOM::stride_h != 0 || rx % GEOM::stride_w != 0) return false;
    oy = ry / GEOM::stride_h;
    ox = rx / GEOM::stride_w;
    return oy < GEOM::out_h && ox < GEOM::out_w;
  }
};

// The window and line buffer over pixels of C channels of T.
template <class GEOM, class T, int C>
struct sliding_window {
  typedef window_geometry<GEOM> geom;
  T line[geom::lines][geom::cols][C];
  T win[geom::span_h][geom::span_w][C];

  // Padded position (., px) of the next row arrives with the values `in`.
  void push(int px, const T in[C]) {
    BP_PRAGMA(HLS INLINE)
  window_shift:
    for (int r = 0; r < geom::span_h; r++) {
      for (int k = 0; k + 1 < geom::span_w; k++) {
        for (int c = 0; c < C; c++) win[r][k][c] = win[r][k + 1][c];
      }
    }
  window_column:
    for (int c = 0; c < C; c++) {
      for (int r = 0; r + 1 < geom::span_h; r++) win[r][geom::span_w - 1][c] = line[r][px][c];
      win[geom::span_h - 1][geom::span_w - 1][c] = in[c];
      for (int r = 0; r + 1 < geom::span_h; r++) line[r][px][c] = win[r + 1][geom::span_w - 1][c];
    }
  }
};

}  // namespace binpoint
#pragma GCC diagnostic pop
#endif  // BINPOINT_KERNELS_LINE_BUFFER_H_
