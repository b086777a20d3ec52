// /net/net.3/Relu: relu on 16 values, x ap_fixed<8,6,AP_RND_CONV,AP_SAT> y ap_fixed<8,6,AP_RND_CONV,AP_SAT>
module l3_relu (
  input wire clk,
  input wire [127:0] x,
  output wire [127:0] y
);
  wire [7:0] m0 = x[7] ? 8'h0 : x[7:0];
  wire [7:0] c0_y = m0;
  wire [7:0] m1 = x[15] ? 8'h0 : x[15:8];
  wire [7:0] c1_y = m1;
  wire [7:0] m2 = x[23] ? 8'h0 : x[23:16];
  wire [7:0] c2_y = m2;
  wire [7:0] m3 = x[31] ? 8'h0 : x[31:24];
  wire [7:0] c3_y = m3;
  wire [7:0] m4 = x[39] ? 8'h0 : x[39:32];
  wire [7:0] c4_y = m4;
  wire [7:0] m5 = x[47] ? 8'h0 : x[47:40];
  wire [7:0] c5_y = m5;
  wire [7:0] m6 = x[55] ? 8'h0 : x[55:48];
  wire [7:0] c6_y = m6;
  wire [7:0] m7 = x[63] ? 8'h0 : x[63:56];
  wire [7:0] c7_y = m7;
  wire [7:0] m8 = x[71] ? 8'h0 : x[71:64];
  wire [7:0] c8_y = m8;
  wire [7:0] m9 = x[79] ? 8'h0 : x[79:72];
  wire [7:0] c9_y = m9;
  wire [7:0] m10 = x[87] ? 8'h0 : x[87:80];
  wire [7:0] c10_y = m10;
  wire [7:0] m11 = x[95] ? 8'h0 : x[95:88];
  wire [7:0] c11_y = m11;
  wire [7:0] m12 = x[103] ? 8'h0 : x[103:96];
  wire [7:0] c12_y = m12;
  wire [7:0] m13 = x[111] ? 8'h0 : x[111:104];
  wire [7:0] c13_y = m13;
  wire [7:0] m14 = x[119] ? 8'h0 : x[119:112];
  wire [7:0] c14_y = m14;
  wire [7:0] m15 = x[127] ? 8'h0 : x[127:120];
  wire [7:0] c15_y = m15;
  assign y = {c15_y, c14_y, c13_y, c12_y, c11_y, c10_y, c9_y, c8_y, c7_y, c6_y, c5_y, c4_y, c3_y, c2_y, c1_y, c0_y};
  wire unused_clk = clk;
endmodule
