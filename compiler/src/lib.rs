//! binpoint: compile a trained ONNX model into a fixed-point FPGA accelerator.
