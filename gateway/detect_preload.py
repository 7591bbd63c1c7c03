"""Loads the PHI engine at import, for the detection processes' fork server (gateway.detectpool).

The fork server imports this module once; every detection process forked from it then starts
with the spaCy model, the recognizers and the Hyperscan databases already in memory, and with
the engine's lazily built parts built by one scan. Importing it anywhere else costs that load
(about 2 s).
"""

import gc

import detectors.recognizers.multiscan as multiscan
import detectors.recognizers.pcretwin as pcretwin
import gateway.detectpool  # noqa: F401 - see below
from detectors.config import DetectorConfig
from detectors.engine import recognizer_patterns
from detectors.extract import ExtractLimits
from gateway.scanning import scan_message, shared_engine

# The detection processes run gateway.detectpool's `_serve`, and match findings against the
# patient roster themselves: that module and the roster's store code load once here, above, not
# in each process.

# Installed before any fork: a process forked while the databases load would never get them.
multiscan.start(recognizer_patterns, wait=True)
# The PCRE2 twins too: their JIT code, compiled here, is every forked process's own.
pcretwin.start(recognizer_patterns, wait=True)
# One scan through most recognizers, a table and HTML: what they build on first use (word
# lists, gates, the Hyperscan ids of their patterns) is then built once here, not in every
# process.
WARM_UP = (
    b"From: Dr. Ana Ruiz <aruiz@clinic.example>\r\nTo: billing@partner.example\r\n"
    b"Subject: Follow-up for John Smith\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
    b"Content-Type: text/plain\r\n\r\nPatient: John Smith, DOB 01/02/1960, MRN 4471203, "
    b"SSN 123-45-6789, seen 03/04/2024 for type 2 diabetes (E11.9); metformin 500 mg, A1c 7.9%.\r\n"
    b"Address: 12 Oak Street, Springfield, IL 62704. Phone (217) 555-0147, jsmith@mail.example.\r\n"
    b"Member ID XJH123456789, NPI 1234567893. Please call to schedule the colonoscopy.\r\n"
    b"\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Dear Mary Jones, your lab results "
    b"(HbA1c) are ready.</p>\r\n--b\r\nContent-Type: text/csv\r\n"
    b'Content-Disposition: attachment; filename="labs.csv"\r\n\r\n'
    b"name,dob,mrn,result\r\nJane Roe,1971-05-06,883201,LDL 162 mg/dL\r\n--b--\r\n"
)
scan_message(shared_engine(DetectorConfig()), WARM_UP, ExtractLimits(), None)
# Everything loaded so far lives as long as the server: moved out of the collector's sight, a
# forked process's collections never touch (and so never copy) the engine's pages.
gc.freeze()
