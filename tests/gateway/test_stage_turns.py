"""Stage jobs take turns (gateway.app.Turns): one at a time, but a slow one holds no one up long."""

from __future__ import annotations

import threading

from gateway.app import Turns


def _start(fn: object) -> threading.Thread:
    t = threading.Thread(target=fn)
    t.start()
    return t


def test_a_job_waits_for_the_one_running() -> None:
    turns = Turns(wait=30.0)
    release = threading.Event()
    first_running = threading.Event()
    log: list[str] = []

    def first() -> None:
        first_running.set()
        release.wait(10)
        log.append("first done")

    a = _start(turns(first))
    assert first_running.wait(5)
    b = _start(turns(lambda: log.append("second ran")))
    b.join(0.3)
    assert b.is_alive(), "the second job ran while the first held its turn"
    release.set()
    a.join(5)
    b.join(5)
    assert log == ["first done", "second ran"]


def test_a_slow_job_holds_the_next_up_only_for_the_wait() -> None:
    turns = Turns(wait=0.05)
    release = threading.Event()
    first_running = threading.Event()
    second_ran = threading.Event()

    def first() -> None:
        first_running.set()
        release.wait(10)

    a = _start(turns(first))
    assert first_running.wait(5)
    b = _start(turns(second_ran.set))
    try:
        assert second_ran.wait(5), "the second job never ran beside a slow first one"
        assert not release.is_set()
    finally:
        release.set()
        a.join(5)
        b.join(5)


def test_the_turn_is_given_back_after_an_error() -> None:
    turns = Turns(wait=30.0)

    def boom() -> None:
        raise ValueError("x")

    try:
        turns(boom)()
    except ValueError:
        pass
    done = threading.Event()
    t = _start(turns(done.set))
    assert done.wait(1), "a job that raised kept its turn"
    t.join(5)
