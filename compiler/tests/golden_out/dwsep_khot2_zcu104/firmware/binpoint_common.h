// binpoint_common.h: what every binpoint kernel header shares.
//
// Kernel headers are real C++14: they compile with
//   g++ -std=c++14 -Wall -Werror -isystem <ap_types> -I hls-templates/kernels
// and each is the twin of runtime/src/ops/<op>.rs (same loop order, accumulator type and
// rounding points; see docs/kernels.md).
#ifndef BINPOINT_COMMON_H_
#define BINPOINT_COMMON_H_

#include <ap_fixed.h>

// HLS pragmas are written BP_PRAGMA(HLS ...). Vitis HLS sees them during synthesis (it defines
// __SYNTHESIS__ and documents _Pragma in macros); a C++ compiler for C simulation does not, so
// that -Wall (-Wunknown-pragmas) -Werror builds stay clean. Define BINPOINT_HLS_PRAGMAS to emit
// them anyway (e.g. to read them in `g++ -E` output).
#if defined(__SYNTHESIS__) || defined(BINPOINT_HLS_PRAGMAS)
#define BP_PRAGMA_TEXT(x) _Pragma(#x)
#define BP_PRAGMA(x) BP_PRAGMA_TEXT(x)
#else
#define BP_PRAGMA(x)
#endif

namespace binpoint {

// How a multiply-accumulate layer is built (CONFIG::strategy), in hls4ml's words:
//   latency   every product of a position written out, the weights compile-time constants (so
//             HLS builds each product from its constant's bits), pipelined at II = reuse_factor
//             with at most block_factor multipliers;
//   resource  reuse_factor steps per position, block_factor products per step, the weights in
//             ROM banks partitioned so that one step reads one word of each bank.
// The reuse factor has hls4ml's meaning: each multiplier serves reuse_factor of the n_in*n_out
// products of a position. Both compute the same bits (the same sums in the same order).
enum strategy_t { latency = 0, resource = 1 };

// The lowest value of a fixed-point type: the start of a running maximum.
template <class T>
struct limits;

template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
struct limits<ap_fixed<W, I, Q, O, N> > {
  static ap_fixed<W, I, Q, O, N> lowest() {
    ap_fixed<W, I, Q, O, N> v = 0;
    v[W - 1] = 1;
    return v;
  }
};

template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
struct limits<ap_ufixed<W, I, Q, O, N> > {
  static ap_ufixed<W, I, Q, O, N> lowest() { return 0; }
};

// A constant from its raw bits (the low W bits of `bits`): configs carry fixed-point constants
// as integers, computed once in Rust, so no double ever reaches the design.
template <class T>
T from_bits(long long bits) {
  T v;
  v.range(T::width - 1, 0) = bits;
  return v;
}

}  // namespace binpoint

#endif  // BINPOINT_COMMON_H_
