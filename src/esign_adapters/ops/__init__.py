"""Operations: the system-log writer, node heartbeats, the downtime checker and the restart over
SSH (manual 四.2.1–2.3; ADR 0045, ADR 0046)."""
