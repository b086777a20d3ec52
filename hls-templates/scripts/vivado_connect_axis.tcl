# AXI-Stream data: an AXI DMA (simple mode) streams the input words from DDR into the accelerator
# and its output words back to DDR.
set dma {{ dma }}
create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma $dma
set_property -dict [list CONFIG.c_include_sg {0} CONFIG.c_sg_length_width {26} \
    CONFIG.c_m_axis_mm2s_tdata_width {{ io_bits }} CONFIG.c_s_axis_s2mm_tdata_width {{ io_bits }}] \
    [get_bd_cells $dma]
set axis_in [get_bd_intf_pins -of_objects [get_bd_cells $acc] \
    -filter {VLNV =~ "*:axis_rtl:*" && MODE == Slave}]
set axis_out [get_bd_intf_pins -of_objects [get_bd_cells $acc] \
    -filter {VLNV =~ "*:axis_rtl:*" && MODE == Master}]
if {[llength $axis_in] != 1 || [llength $axis_out] != 1} {
    error "$acc: expected one AXI-Stream input and one output, found '$axis_in' and '$axis_out'"
}
connect_bd_intf_net [get_bd_intf_pins $dma/M_AXIS_MM2S] $axis_in
connect_bd_intf_net $axis_out [get_bd_intf_pins $dma/S_AXIS_S2MM]
# Control: the PS master drives the DMA's and the accelerator's AXI4-Lite registers.
connect_axi /$ps/{{ control_master }} /$dma/S_AXI_LITE $dma/S_AXI_LITE {New AXI SmartConnect}
connect_axi /$ps/{{ control_master }} /$acc/s_axi_control $acc/s_axi_control [interconnect_of $ps/{{ control_master }}]
# Data: both DMA channels reach DDR through one SmartConnect into the PS slave port.
connect_axi /$dma/M_AXI_MM2S /$ps/{{ data_slave }} $ps/{{ data_slave }} {New AXI SmartConnect}
connect_axi /$dma/M_AXI_S2MM /$ps/{{ data_slave }} $dma/M_AXI_S2MM [interconnect_of $ps/{{ data_slave }}]
