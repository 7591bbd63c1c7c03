"""bench/startup.py's bytecode count: which of phigate's modules a start would compile first."""

from __future__ import annotations

import os
import py_compile
from pathlib import Path

from bench.startup import bytecode_cached


def test_a_module_counts_only_with_bytecode_of_its_present_source(tmp_path: Path) -> None:
    source = tmp_path / "pkg" / "mod.py"
    source.parent.mkdir()
    source.write_text("VALUE = 1\n")
    (tmp_path / "pkg" / "other.py").write_text("OTHER = 2\n")
    assert bytecode_cached([tmp_path / "pkg"]) == (0, 2)  # nothing compiled yet
    py_compile.compile(str(source), doraise=True)
    assert bytecode_cached([tmp_path / "pkg"]) == (1, 2)
    # the source changed after its bytecode was written (size and time): compiled again
    source.write_text("VALUE = 10\n")
    os.utime(source, (source.stat().st_atime, source.stat().st_mtime + 5))
    assert bytecode_cached([tmp_path / "pkg"]) == (0, 2)


def test_hash_based_bytecode_that_is_never_checked_counts(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text("VALUE = 1\n")
    py_compile.compile(
        str(source), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    assert bytecode_cached([tmp_path]) == (1, 1)


def test_hash_based_bytecode_that_is_checked_counts_while_the_source_matches(
    tmp_path: Path,
) -> None:
    source = tmp_path / "mod.py"
    source.write_text("VALUE = 1\n")
    py_compile.compile(
        str(source), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH
    )
    assert bytecode_cached([tmp_path]) == (1, 1)
    source.write_text("VALUE = 2\n")
    assert bytecode_cached([tmp_path]) == (0, 1)
