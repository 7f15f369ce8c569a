"""The progress line: on a terminal only, after the build's first second, with counts, rate and time left."""

from __future__ import annotations

import io

from generator.build.progress import Progress, progress_factory


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_progress_when_not_a_terminal():
    assert progress_factory(io.StringIO()) is None


def test_a_phase_shows_once_the_build_has_run_a_second_with_counts_rate_and_time_left():
    stream, clock = Terminal(), Clock()
    make = progress_factory(stream, clock)
    bar = make("Parsing", 1000)
    clock.now += 0.5
    bar(100)
    assert stream.getvalue() == ""  # the build is younger than a second
    clock.now += 0.5
    bar(100)
    shown = stream.getvalue()
    assert "Parsing" in shown and "200/1,000" in shown and "200/s" in shown and "4 s left" in shown
    assert "[" + "#" * 4 + "." * 20 + "]" in shown


def test_a_later_short_phase_shows_at_once_and_clears_the_last_line():
    stream, clock = Terminal(), Clock()
    make = progress_factory(stream, clock)
    first = make("Parsing", 10)
    clock.now += 2
    first(5)
    second = make("Rendering", 10)  # a new phase starts: the first line is cleared
    assert stream.getvalue().endswith("\r\033[K")
    clock.now += 0.2
    second(10)  # the build is past its first second: shown although this phase is young; done: cleared
    assert "Rendering" in stream.getvalue() and "10/10" in stream.getvalue()
    assert stream.getvalue().endswith("\r\033[K")


def test_redraws_at_most_ten_times_a_second():
    stream, clock = Terminal(), Clock()
    bar = Progress("Linking", 1000, stream, since=clock() - 5, clock=clock)
    for _ in range(50):
        clock.now += 0.01
        bar(1)
    assert stream.getvalue().count("\r") == 5
