// binpoint_top: input (ap_fixed<8,2,AP_RND_CONV,AP_SAT>) -> output (ap_fixed<8,7,AP_RND_CONV,AP_SAT>); latency 12 cycles, a new sample every cycle.
// Each port is one raw value (W bits of its type); value = raw / 2^F.
module binpoint_top (
  input wire clk,
  input wire rst,
  input wire in_valid,
  input wire [7:0] in_0,
  input wire [7:0] in_1,
  input wire [7:0] in_2,
  input wire [7:0] in_3,
  input wire [7:0] in_4,
  input wire [7:0] in_5,
  input wire [7:0] in_6,
  input wire [7:0] in_7,
  input wire [7:0] in_8,
  input wire [7:0] in_9,
  input wire [7:0] in_10,
  input wire [7:0] in_11,
  input wire [7:0] in_12,
  input wire [7:0] in_13,
  input wire [7:0] in_14,
  input wire [7:0] in_15,
  input wire [7:0] in_16,
  input wire [7:0] in_17,
  input wire [7:0] in_18,
  input wire [7:0] in_19,
  input wire [7:0] in_20,
  input wire [7:0] in_21,
  input wire [7:0] in_22,
  input wire [7:0] in_23,
  input wire [7:0] in_24,
  input wire [7:0] in_25,
  input wire [7:0] in_26,
  input wire [7:0] in_27,
  input wire [7:0] in_28,
  input wire [7:0] in_29,
  input wire [7:0] in_30,
  input wire [7:0] in_31,
  input wire [7:0] in_32,
  input wire [7:0] in_33,
  input wire [7:0] in_34,
  input wire [7:0] in_35,
  input wire [7:0] in_36,
  input wire [7:0] in_37,
  input wire [7:0] in_38,
  input wire [7:0] in_39,
  input wire [7:0] in_40,
  input wire [7:0] in_41,
  input wire [7:0] in_42,
  input wire [7:0] in_43,
  input wire [7:0] in_44,
  input wire [7:0] in_45,
  input wire [7:0] in_46,
  input wire [7:0] in_47,
  input wire [7:0] in_48,
  input wire [7:0] in_49,
  input wire [7:0] in_50,
  input wire [7:0] in_51,
  input wire [7:0] in_52,
  input wire [7:0] in_53,
  input wire [7:0] in_54,
  input wire [7:0] in_55,
  input wire [7:0] in_56,
  input wire [7:0] in_57,
  input wire [7:0] in_58,
  input wire [7:0] in_59,
  input wire [7:0] in_60,
  input wire [7:0] in_61,
  input wire [7:0] in_62,
  input wire [7:0] in_63,
  output wire out_valid,
  output wire [7:0] out_0,
  output wire [7:0] out_1,
  output wire [7:0] out_2,
  output wire [7:0] out_3,
  output wire [7:0] out_4,
  output wire [7:0] out_5,
  output wire [7:0] out_6,
  output wire [7:0] out_7,
  output wire [7:0] out_8,
  output wire [7:0] out_9
);
  reg [511:0] t_in;
  always @(posedge clk) t_in <= {in_63, in_62, in_61, in_60, in_59, in_58, in_57, in_56, in_55, in_54, in_53, in_52, in_51, in_50, in_49, in_48, in_47, in_46, in_45, in_44, in_43, in_42, in_41, in_40, in_39, in_38, in_37, in_36, in_35, in_34, in_33, in_32, in_31, in_30, in_29, in_28, in_27, in_26, in_25, in_24, in_23, in_22, in_21, in_20, in_19, in_18, in_17, in_16, in_15, in_14, in_13, in_12, in_11, in_10, in_9, in_8, in_7, in_6, in_5, in_4, in_3, in_2, in_1, in_0};
  reg [11:0] valid;
  always @(posedge clk) begin
    if (rst) valid <= 12'h0;
    else valid <= {valid[10:0], in_valid};
  end
  // 0: /net/net.0/Gemm (Dense, dense)
  wire [255:0] t0;
  l0_dense u0 (.clk(clk), .x({t_in}), .y(t0));
  // 1: /net/net.1/Relu (Relu, relu)
  wire [255:0] t1;
  l1_relu u1 (.clk(clk), .x({t0}), .y(t1));
  // 2: /net/net.2/Gemm (Dense, dense)
  wire [127:0] t2;
  l2_dense u2 (.clk(clk), .x({t1}), .y(t2));
  // 3: /net/net.3/Relu (Relu, relu)
  wire [127:0] t3;
  l3_relu u3 (.clk(clk), .x({t2}), .y(t3));
  // 4: /net/net.4/Gemm (Dense, dense)
  wire [79:0] t4;
  l4_dense u4 (.clk(clk), .x({t3}), .y(t4));
  assign out_valid = valid[11];
  assign out_0 = t4[7:0];
  assign out_1 = t4[15:8];
  assign out_2 = t4[23:16];
  assign out_3 = t4[31:24];
  assign out_4 = t4[39:32];
  assign out_5 = t4[47:40];
  assign out_6 = t4[55:48];
  assign out_7 = t4[63:56];
  assign out_8 = t4[71:64];
  assign out_9 = t4[79:72];
endmodule
