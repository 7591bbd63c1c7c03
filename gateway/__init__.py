"""phigate: an outbound e-mail DLP and encryption gateway for medical practices."""

import os
import warnings

# Detection runs one message at a time on each worker's threads, in small NER batches, and the
# workers are processes: an OpenBLAS thread pool would only spin beside each scan and take CPU
# from the other workers (NER 15-20 % faster with one BLAS thread on a busy 2-core machine,
# bench/scan_speed.py phases). Set before numpy loads; an operator's own setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# dnspython defines its DNSSEC DSA key classes (algorithm 3, which phigate never validates with)
# when it is imported, and cryptography 51 warns on each use of its DSA types. On stderr that
# warning came before every CLI's one-line error (tests/gateway/test_config_errors.py and the
# other one-line tests caught it the day cryptography 51.0.1 came out). Only that warning, from
# that module, is silenced.
warnings.filterwarnings("ignore", message=r"DSA is deprecated", module=r"dns\.dnssecalgs\.dsa")
