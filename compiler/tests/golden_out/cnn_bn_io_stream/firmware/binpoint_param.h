// binpoint_param.h: constants of the design from their raw integers.
//
// parameters.h initialises every weight, bias and table of a fixed-point type T with
// binpoint::param<T>(raw): the value whose W bits are those of `raw` (two's complement), exactly,
// with no floating-point literal. It uses the header's own setBits (a plain bit copy), which g++
// compiles several times faster than a range assignment, and Vitis HLS folds into a ROM.
#ifndef BINPOINT_FIRMWARE_PARAM_H_
#define BINPOINT_FIRMWARE_PARAM_H_

#include "binpoint_common.h"

namespace binpoint {

template <class T>
T param(long long raw) {
  T v;
  v.setBits((ap_ulong)raw);
  return v;
}

}  // namespace binpoint

#endif  // BINPOINT_FIRMWARE_PARAM_H_
