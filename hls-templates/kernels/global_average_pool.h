// global_average_pool.h: global average pooling, one sample: x[C][size] (size = H*W) -> y[C].
// Twin of runtime/src/ops/global_average_pool.rs. The contract both keep:
//   loops        c, then i over the channel's values;
//   accumulator  CONFIG::accum_t, from 0, wide enough for size inputs: exact;
//   divide       shift_divide (size = 2^k): the sum's bits reread as shift_t, exact; otherwise
//                acc * recip, recip = 1/size rounded into recip_t once by binpoint (raw bits
//                recip_bits; a second rounding point), the product exact;
//   rounding     y = (shift_t or the product) -> out_t.
//
// CONFIG:
//   static const int channels, size;
//   static const bool shift_divide;
//   static const long long recip_bits;  // raw bits of 1/size in recip_t (unused with shift_divide)
//   typedef ... in_t, accum_t, recip_t, shift_t, out_t;
#ifndef BINPOINT_KERNELS_GLOBAL_AVERAGE_POOL_H_
#define BINPOINT_KERNELS_GLOBAL_AVERAGE_POOL_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void global_average_pool(const typename CONFIG::in_t x[CONFIG::channels * CONFIG::size],
                         typename CONFIG::out_t y[CONFIG::channels]) {
  typedef typename CONFIG::accum_t accum_t;
  typedef typename CONFIG::shift_t shift_t;
  const typename CONFIG::recip_t recip = from_bits<typename CONFIG::recip_t>(CONFIG::recip_bits);
global_average_pool_c:
  for (int c = 0; c < CONFIG::channels; c++) {
    accum_t acc = 0;
  global_average_pool_i:
    for (int i = 0; i < CONFIG::size; i++) {
      BP_PRAGMA(HLS PIPELINE II=1)
      acc += x[c * CONFIG::size + i];
    }
    if (CONFIG::shift_divide) {
      shift_t q;
      q.range(shift_t::width - 1, 0) = acc.range(accum_t::width - 1, 0);
      y[c] = q;
    } else {
      y[c] = acc * recip;
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_GLOBAL_AVERAGE_POOL_H_
