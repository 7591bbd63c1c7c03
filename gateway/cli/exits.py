"""The exit codes every `phigate` command uses."""

from __future__ import annotations

#: Done.
EXIT_OK = 0
#: The command ran and found something wrong: audit chain problems, bad input rows (nothing
#: written), a release the next hop refused, a report refused on an unverified chain.
EXIT_FAILED = 1
#: A usage or setup error: a missing key file, a store that cannot open, a bad option.
EXIT_ERROR = 2
