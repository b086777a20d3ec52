// sub.h: element-wise y[c][i] = a[c][i] - b[c][i] with broadcast: operand element (c, i) is
// read at c * stride_c + i * stride_i, so a full tensor has strides (size, 1), a per-channel
// constant (1, 0), a scalar (0, 0).
// Twin of runtime/src/ops/sub.rs (see runtime/src/ops/binary.rs). The contract both keep:
//   loops        c, then i;
//   arithmetic   a - b in the header's exact result type;
//   rounding     one point: y = a - b (-> out_t).
//
// CONFIG:
//   static const int channels, size;
//   static const int a_len, a_stride_c, a_stride_i, b_len, b_stride_c, b_stride_i;
//   typedef ... a_t, b_t, out_t;
#ifndef BINPOINT_KERNELS_SUB_H_
#define BINPOINT_KERNELS_SUB_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void sub(const typename CONFIG::a_t a[CONFIG::a_len], const typename CONFIG::b_t b[CONFIG::b_len],
         typename CONFIG::out_t y[CONFIG::channels * CONFIG::size]) {
sub_c:
  for (int c = 0; c < CONFIG::channels; c++) {
  sub_i:
    for (int i = 0; i < CONFIG::size; i++) {
      BP_PRAGMA(HLS PIPELINE II=1)
      y[c * CONFIG::size + i] = a[c * CONFIG::a_stride_c + i * CONFIG::a_stride_i] -
                                b[c * CONFIG::b_stride_c + i * CONFIG::b_stride_i];
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_KERNELS_SUB_H_
