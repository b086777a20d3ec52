// global_max_pool.h: global max pooling, one sample: x[C][size] (size = H*W) -> y[C].
// Twin of runtime/src/ops/global_max_pool.rs. The contract both keep:
//   loops        c, then i over the channel's values;
//   maximum      in_t, starting at in_t's lowest value; exact comparisons;
//   rounding     one point: y = m (in_t -> out_t).
//
// CONFIG:
//   static const int channels, size;
//   typedef ... in_t, out_t;
#ifndef BINPOINT_KERNELS_GLOBAL_MAX_POOL_H_
#define BINPOINT_KERNELS_GLOBAL_MAX_POOL_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void global_max_pool(const typename CONFIG::in_t x[CONFIG::channels * CONFIG::size],
                     typename CONFIG::out_t y[CONFIG::channels]) {
global_max_pool_c:
  for (int c = 0; c < CONFIG::channels; c++) {
    typename CONFIG::in_t m = limits<typename CONFIG::in_t>::lowest();
  global_max_pool_i:
    for (int i = 0; i < CONFIG::size; i++) {
      BP_PRAGMA(HLS PIPELINE II=1)
      const typename CONFIG::in_t v = x[c * CONFIG::size + i];
      if (v > m) m = v;
    }
    y[c] = m;
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_GLOBAL_MAX_POOL_H_
