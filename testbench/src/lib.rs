//! Differential testing of binpoint against Xilinx's `ap_types` headers.
