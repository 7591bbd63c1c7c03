"""phigate: an outbound e-mail DLP and encryption gateway for medical practices."""

import os

# Detection runs one message at a time on each worker's threads, in small NER batches, and the
# workers are processes: an OpenBLAS thread pool would only spin beside each scan and take CPU
# from the other workers (NER 15-20 % faster with one BLAS thread on a busy 2-core machine,
# bench/scan_speed.py phases). Set before numpy loads; an operator's own setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
