// clip.h: y = min(max(x, lo), hi), lo and hi fixed-point constants of bound_t (ReLU6: 0 and 6).
// Twin of runtime/src/ops/clip.rs. The contract both keep: one loop;
//   if (x < lo) y = lo; else if (x > hi) y = hi; else y = x;
// exact comparisons; one rounding point, the chosen value -> out_t.
//
// CONFIG:
//   static const int size;
//   static const long long lo_bits, hi_bits;  // raw bits of lo and hi in bound_t (lo <= hi)
//   typedef ... in_t, bound_t, out_t;
#ifndef BINPOINT_KERNELS_CLIP_H_
#define BINPOINT_KERNELS_CLIP_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void clip(const typename CONFIG::in_t x[CONFIG::size], typename CONFIG::out_t y[CONFIG::size]) {
  typedef typename CONFIG::bound_t bound_t;
  const bound_t lo = from_bits<bound_t>(CONFIG::lo_bits);
  const bound_t hi = from_bits<bound_t>(CONFIG::hi_bits);
clip_i:
  for (int i = 0; i < CONFIG::size; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    if (x[i] < lo) {
      y[i] = lo;
    } else if (x[i] > hi) {
      y[i] = hi;
    } else {
      y[i] = x[i];
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_CLIP_H_
