// shift_add.h: what the multiplier-free (K-hot) kernels share. Twin of
// runtime/src/ops/shift_add.rs.
//
// A K-hot weight w has at most K canonical signed digits, w = sum_d sign_d * 2^shift_d, so
// x * w = sum_d sign_d * (x << shift_d): the same exact integer. The kernels work on raw
// integers (bit reinterpretation with .range(), no multiply): every input's raw bits widened to
// CONFIG::raw_t (ap_int of the accumulator's width), shifted left by each digit's shift and added
// or subtracted; then the products' sum and the bias are aligned to the accumulator's binary point
// (CONFIG::prod_shift, CONFIG::bias_shift), reinterpreted as accum_t, and cast once into out_t.
// raw_t arithmetic wraps modulo 2^W_acc; the exact result fits accum_t (binpoint proves it), so
// the wrap-around of intermediate terms cancels and acc equals the multiply kernel's acc bit for
// bit.
//
// The digits come as two arrays of CONFIG::khot slots per weight, least significant first:
// shift (CONFIG::shift_t) and sign (CONFIG::sign_t: +1, -1, or 0 for an empty slot). In the
// firmware they are static const arrays and every loop over weights and slots is unrolled, so
// each shift is a constant: wires, no barrel shifter (docs/hls-backend.md).
#ifndef BINPOINT_KERNELS_SHIFT_ADD_H_
#define BINPOINT_KERNELS_SHIFT_ADD_H_

#include "binpoint_common.h"

namespace binpoint {

// The raw integer of a fixed-point value as RAW (ap_int<W> or ap_uint<W>, W its width).
template <class RAW, class T>
RAW raw_bits(const T& v) {
  RAW r;
  r.range(RAW::width - 1, 0) = v.range(T::width - 1, 0);
  return r;
}

// sum += xr << shift (sign +1), sum -= xr << shift (sign -1), nothing (sign 0).
template <class SUM, class SHIFT, class SIGN>
void shift_add_term(SUM& sum, const SUM& xr, const SHIFT& shift, const SIGN& sign) {
  if (sign > 0) {
    sum += xr << shift.to_int();
  } else if (sign < 0) {
    sum -= xr << shift.to_int();
  }
}

// The accumulator from the products' raw sum and the bias: (sum << prod_shift) +
// (bias << bias_shift), its bits reinterpreted as accum_t.
template <class CONFIG>
typename CONFIG::accum_t shift_add_accum(const typename CONFIG::raw_t& sum,
                                         const typename CONFIG::bias_t& b) {
  const typename CONFIG::raw_t br = raw_bits<typename CONFIG::bias_raw_t>(b);
  const typename CONFIG::raw_t a = (sum << CONFIG::prod_shift) + (br << CONFIG::bias_shift);
  typename CONFIG::accum_t acc;
  acc.range(CONFIG::accum_t::width - 1, 0) = a.range(CONFIG::raw_t::width - 1, 0);
  return acc;
}

}  // namespace binpoint

#endif  // BINPOINT_KERNELS_SHIFT_ADD_H_
