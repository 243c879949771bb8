"""Coverage-guided fuzz harnesses (atheris) for the bad-input targets of issue 12, run by
``python -m campaign fuzz`` for a bounded time each, outside the test suite.

Each target is ``name -> module`` in :data:`TARGETS`; a module defines ``setup()`` (once) and
``one_input(data: bytes)``, which must return normally or raise only the exceptions the product
promises for bad input (anything else is a finding: atheris stops and prints the input).

HOOK for the coordinator: the e-cology SOAP client (directory sync) adds its harness here —
``"soap-client": "campaign.fuzz.soap_client"`` — once that client has landed.
"""

from __future__ import annotations

TARGETS: dict[str, str] = {
    "pdf-screening": "campaign.fuzz.pdf_screening",
    "spreadsheet-import": "campaign.fuzz.spreadsheet_import",
    "open-api": "campaign.fuzz.open_api",
    "device-protocol": "campaign.fuzz.device_protocol",
    # "soap-client": "campaign.fuzz.soap_client",  # HOOK: e-cology SOAP client (directory sync), to be added
}
