"""The load, fault and bad-input campaign (issue 12): ``python -m campaign [--quick]``.

Outside the test suite and bounded in time; see docs/reliability.md and docs/performance.md
(both written from its output) and docs/adr/0050-load-fault-and-bad-input-campaign.md."""
