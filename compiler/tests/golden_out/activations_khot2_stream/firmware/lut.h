// lut.h: y = table[index(x)] (Sigmoid, Tanh), and the index arithmetic every table shares
// (softmax.h reads two tables with it). Twin of runtime/src/ops/lut.rs. The contract both keep:
//   index   on the raw integer of x (its W bits, sign- or zero-extended):
//             idx = clamp((raw - origin) >> shift, 0, size - 1)    (arithmetic shift: floor)
//           computed in ap_int<width>, which holds raw, origin and their difference (binpoint
//           picks width and caps shift at width - 1, which changes no result);
//   entries size raw values of the entry type (out_t here), computed by binpoint and passed as a
//           ROM of ap_uint<W_entry> words whose bits are reread as the entry type;
//   loops   i over the values;
//   rounding none: the output type is the entry type, every output is an entry.
//
// CONFIG:
//   static const int size;
//   struct table_index {             // a LUT_INDEX: the index arithmetic of one table
//     static const int size, shift, width;
//     static const long long origin;
//   };
//   typedef ... in_t, out_t;         // in_t: the table's index type; out_t: its entry type
// table has table_index::size entries: the raw bits of out_t values.
#ifndef BINPOINT_KERNELS_LUT_H_
#define BINPOINT_KERNELS_LUT_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

// The raw integer of a fixed-point value, sign- (ap_fixed) or zero-extended (ap_ufixed) to D bits.
template <int D, int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
ap_int<D> raw_int(const ap_fixed_base<W, I, S, Q, O, N>& v) {
  ap_int_base<W, S> r;
  r.range(W - 1, 0) = v.range(W - 1, 0);
  return ap_int<D>(r);
}

// The entry of table LUT_INDEX for the value v: clamp((raw(v) - origin) >> shift, 0, size - 1).
template <class LUT_INDEX, class T>
int lut_index(const T& v) {
  ap_int<LUT_INDEX::width> d = raw_int<LUT_INDEX::width>(v) - ap_int<LUT_INDEX::width>(LUT_INDEX::origin);
  d >>= LUT_INDEX::shift;
  return d < 0 ? 0 : d > LUT_INDEX::size - 1 ? LUT_INDEX::size - 1 : d.to_int();
}

// A table word reread as its entry type.
template <class T>
T lut_entry(const ap_uint<T::width>& word) {
  T v;
  v.range(T::width - 1, 0) = word;
  return v;
}

template <class CONFIG>
void lut(const typename CONFIG::in_t x[CONFIG::size], typename CONFIG::out_t y[CONFIG::size],
         const ap_uint<CONFIG::out_t::width> table[CONFIG::table_index::size]) {
  typedef typename CONFIG::out_t out_t;
lut_i:
  for (int i = 0; i < CONFIG::size; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    y[i] = lut_entry<out_t>(table[lut_index<typename CONFIG::table_index>(x[i])]);
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_LUT_H_
