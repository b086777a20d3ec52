//! Parsing the C++ spelling of a type: `ap_fixed<8,3,AP_RND,AP_SAT>`.
