"""The demo wiki builds."""

from tests.conftest import DEMO
from tests.helpers import build, output


def test_demo_builds(tmp_path):
    site = build(DEMO)
    assert "4 articles link here" in output(site, "entities/thinking-machines-interaction-model.html")
