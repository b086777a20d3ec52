// binpoint_io.h: the words of the top function's interface and the per-layer trace.
//
// Every element crosses the interface as one io word holding its raw integer: the W bits of an
// ap_fixed sign-extended, those of an ap_ufixed zero-extended (binpoint picks io_word_t wide
// enough for every input and output type).
#ifndef BINPOINT_FIRMWARE_IO_H_
#define BINPOINT_FIRMWARE_IO_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

// The raw integer of a fixed-point value as a word of type WORD (an ap_int).
template <class WORD, int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
WORD to_word(const ap_fixed_base<W, I, S, Q, O, N>& v) {
  ap_int_base<W, S> r;
  r.range(W - 1, 0) = v.range(W - 1, 0);
  return WORD(r);
}

// A value of T from the low T::width bits of a word.
template <class T, class WORD>
T from_word(const WORD& w) {
  T v;
  v.range(T::width - 1, 0) = w.range(T::width - 1, 0);
  return v;
}

// n values from consecutive words.
template <class T, class WORD>
void read_words(const WORD* src, T* dst, int n) {
read_words_i:
  for (int i = 0; i < n; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    dst[i] = from_word<T>(src[i]);
  }
}

// n values to consecutive words.
template <class T, class WORD>
void write_words(const T* src, WORD* dst, int n) {
write_words_i:
  for (int i = 0; i < n; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    dst[i] = to_word<WORD>(src[i]);
  }
}

// n values from an AXI-Stream (beats with a `data` word).
template <class T, class STREAM>
void read_stream(STREAM& in, T* dst, int n) {
read_stream_i:
  for (int i = 0; i < n; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    dst[i] = from_word<T>(in.read().data);
  }
}

// n values to an AXI-Stream of AXIS beats (data, keep, strb, last); TLAST on the last value
// when `last`.
template <class AXIS, class WORD, class T, class STREAM>
void write_stream(const T* src, STREAM& out, int n, bool last) {
write_stream_i:
  for (int i = 0; i < n; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    AXIS w;
    w.data = to_word<WORD>(src[i]);
    w.keep = -1;
    w.strb = -1;
    w.last = last && i == n - 1;
    out.write(w);
  }
}

}  // namespace binpoint

// With -DBINPOINT_TRACE (C simulation only) the top function reports every layer's output, raw,
// to binpoint_trace_value, which the testbench defines. Without it the calls vanish.
#ifdef BINPOINT_TRACE
void binpoint_trace_value(int layer, int index, long long raw);

namespace binpoint {
template <class T>
void trace_layer(int layer, const T* y, int n) {
  for (int i = 0; i < n; i++) {
    binpoint_trace_value(layer, i, to_word<ap_int<64> >(y[i]).to_int64());
  }
}
}  // namespace binpoint

#define BP_TRACE(layer, y, n) binpoint::trace_layer(layer, y, n)
#else
#define BP_TRACE(layer, y, n)
#endif

#pragma GCC diagnostic pop

#endif  // BINPOINT_FIRMWARE_IO_H_
