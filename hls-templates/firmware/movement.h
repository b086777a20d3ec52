// movement.h: the data-movement layers of a compiled model, one sample. Twins of the
// interpreter's `Cast`, `Gather` and `Concat` steps (runtime/src/model/interp.rs); views
// (Flatten, Reshape, Squeeze, Unsqueeze, Identity, Dropout) need no code: the emitter gives the
// output the input's buffer.
//   cast         y[i] = x[i]: the header's converting assignment (out_t's Q and O), as Requant;
//   gather       y[i] = map[i] < 0 ? fill : x[map[i]] (Transpose, Pad): raw values unchanged;
//   concat_part  one input of a concatenation along an axis: for each outer index o, its chunk
//                values go to y[o * stride + offset + j], each cast into out_t.
//
// CONFIG (computed by binpoint):
//   cast:        static const int size; typedef ... in_t, out_t;
//   gather:      static const int in_size, size; static const long long fill_bits;
//                typedef ... in_t, out_t (the same type);
//   concat_part: static const int outer, chunk, stride, offset; typedef ... in_t, out_t;
#ifndef BINPOINT_FIRMWARE_MOVEMENT_H_
#define BINPOINT_FIRMWARE_MOVEMENT_H_

#include "binpoint_common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-label"

namespace binpoint {

template <class CONFIG>
void cast(const typename CONFIG::in_t x[CONFIG::size], typename CONFIG::out_t y[CONFIG::size]) {
cast_i:
  for (int i = 0; i < CONFIG::size; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    y[i] = x[i];
  }
}

template <class CONFIG>
void gather(const typename CONFIG::in_t x[CONFIG::in_size], typename CONFIG::out_t y[CONFIG::size],
            const int map[CONFIG::size]) {
  const typename CONFIG::out_t fill = from_bits<typename CONFIG::out_t>(CONFIG::fill_bits);
gather_i:
  for (int i = 0; i < CONFIG::size; i++) {
    BP_PRAGMA(HLS PIPELINE II=1)
    const int m = map[i];
    y[i] = m < 0 ? fill : x[m];
  }
}

template <class CONFIG>
void concat_part(const typename CONFIG::in_t x[CONFIG::outer * CONFIG::chunk],
                 typename CONFIG::out_t y[CONFIG::outer * CONFIG::stride]) {
concat_o:
  for (int o = 0; o < CONFIG::outer; o++) {
  concat_j:
    for (int j = 0; j < CONFIG::chunk; j++) {
      BP_PRAGMA(HLS PIPELINE II=1)
      y[o * CONFIG::stride + CONFIG::offset + j] = x[o * CONFIG::chunk + j];
    }
  }
}

}  // namespace binpoint

#pragma GCC diagnostic pop

#endif  // BINPOINT_FIRMWARE_MOVEMENT_H_
