# Control: the PS master drives the accelerator's AXI4-Lite registers (s_axilite bundle control).
connect_axi /$ps/{{ control_master }} /$acc/s_axi_control $acc/s_axi_control {New AXI SmartConnect}
# Data: the accelerator's two AXI4 masters (m_axi bundles gmem0: input, gmem1: output) reach DDR
# through one SmartConnect into the PS slave port.
connect_axi /$acc/m_axi_gmem0 /$ps/{{ data_slave }} $ps/{{ data_slave }} {New AXI SmartConnect}
connect_axi /$acc/m_axi_gmem1 /$ps/{{ data_slave }} $acc/m_axi_gmem1 [interconnect_of $ps/{{ data_slave }}]
