"""Smart seal devices: the wire protocol, the pyserial adapter and a simulator."""
