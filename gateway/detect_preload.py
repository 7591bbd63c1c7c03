"""Loads the PHI engine at import, for the detection processes' fork server (gateway.detectpool).

The fork server imports this module once; every detection process forked from it then starts
with the spaCy model, the recognizers and the Hyperscan databases already in memory, and with
the engine's lazily built parts built by one scan. Importing it anywhere else costs that load
(about 2 s).
"""

import detectors.recognizers.multiscan as multiscan
from detectors.config import DetectorConfig
from detectors.engine import recognizer_patterns
from detectors.extract import ExtractLimits
from gateway.detect import scan_message, shared_engine

# Installed before any fork: a process forked while the databases load would never get them.
multiscan.start(recognizer_patterns, wait=True)
scan_message(
    shared_engine(DetectorConfig()),
    b"Subject: warm-up\r\n\r\nJohn Smith, DOB 01/02/1960, seen for type 2 diabetes (E11.9).\r\n",
    ExtractLimits(),
    None,
)
