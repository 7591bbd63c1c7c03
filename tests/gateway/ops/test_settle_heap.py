"""A worker moves what start-up left alive out of the cyclic collector's sight, and collects
start-up's garbage first (gateway.ops.server.settle_heap).

Run in a child process: a freeze in the test process would stay for every later test.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import gc, weakref
    from gateway.ops.server import settle_heap

    class Node:
        pass

    def cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a
        return a

    gc.disable()                  # nothing collects behind the test's back
    kept = [cycle() for _ in range(2000)]
    dropped = cycle()
    gone = weakref.ref(dropped)
    del dropped                   # garbage, reachable only through its own cycle
    assert gone() is not None
    before = gc.get_freeze_count()
    settle_heap()
    print(before, gc.get_freeze_count(), gone() is None, len(kept))
    """
)


def test_settle_heap_collects_then_freezes() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    before, after, collected, kept = int(out[0]), int(out[1]), out[2] == "True", int(out[3])
    assert before == 0
    # the 4,000 objects kept alive (and everything imported) are frozen now
    assert after >= before + 2 * kept
    # the cycle dropped before the call was collected, not frozen for the worker's life
    assert collected


RESETTLE = textwrap.dedent(
    """
    import gc, weakref
    from gateway.ops.server import resettle_heap, settle_heap

    class Component:
        pass

    gc.disable()
    old = Component()
    old.me = old                  # the retired components hold cycles of their own
    gone = weakref.ref(old)
    settle_heap()                 # start-up froze them with everything else
    del old                       # the reload retires them
    gc.collect()
    still_there = gone() is not None
    resettle_heap()
    print(still_there, gone() is None, gc.get_freeze_count() > 0)
    """
)


def test_a_reload_releases_what_the_retired_components_left_frozen() -> None:
    out = subprocess.run(
        [sys.executable, "-c", RESETTLE], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    # frozen, a dropped cycle survives a plain collection...
    assert out[0] == "True"
    # ...and the resettle after a reload collects it, and freezes what lives again
    assert out[1] == "True"
    assert out[2] == "True"
