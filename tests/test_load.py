"""benchmarks/load_test.py at a small size: no failed request while the site is rebuilt and slow clients hang on."""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import DEMO, ROOT

spec = importlib.util.spec_from_file_location("load_test", ROOT / "benchmarks" / "load_test.py")
load_test = importlib.util.module_from_spec(spec)
sys.modules.setdefault("load_test", load_test)
spec.loader.exec_module(load_test)


def test_no_failures_under_load_with_rebuilds_and_slow_clients():
    figures = load_test.load_test(DEMO, total=300, concurrency=20, time_limit=120, server="builtin", slow=3,
                                  min_rebuilds=1)
    assert figures.failures == 0, figures.failure_examples
    assert figures.requests >= 300 and not figures.stopped_by_time_limit
    assert figures.rebuilds >= 1  # the site was swapped under the readers
    # Every slow client was still connected, mid-request, when all the others had been served.
    assert figures.slow_clients_open_at_end == 3
    assert figures.oversized == {"request_line_70k": "HTTP/1.1 414 Request-URI Too Long",
                                 "header_70k": "HTTP/1.1 431 Line too long",
                                 "headers_200": "HTTP/1.1 431 Too many headers"}
