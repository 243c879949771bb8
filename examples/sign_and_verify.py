"""Sign a PDF and verify it, with esign in memory: python examples/sign_and_verify.py IN.pdf OUT.pdf"""
import sys
from pathlib import Path

import esign

with esign.open_platform(memory=True) as platform:
    signer, where = esign.Signer.person("张三", "11010519491231002X"), esign.Placement.page(1, 0.6, 0.1)
    signed = platform.sign_pdf(Path(sys.argv[1]).read_bytes(), signer, where)
    Path(sys.argv[2]).write_bytes(signed)
    print(platform.verify_pdf(signed).indication.value)  # TOTAL_PASSED
