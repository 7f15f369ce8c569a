"""`dask worker --preload` for tests/test_cluster.py: this worker kills itself (SIGKILL, as a lost machine would
go) the moment it has finished its first kbwiki task, its result still unsent: a worker dying mid-build."""

from __future__ import annotations

import os
import signal

from distributed import WorkerPlugin


class DieAfterFirstTask(WorkerPlugin):
    def transition(self, key, start, finish, **kwargs):
        if finish == "memory" and str(key).startswith("kbwiki-"):
            os.kill(os.getpid(), signal.SIGKILL)


async def dask_setup(worker):
    await worker.plugin_add(DieAfterFirstTask(), name="die-after-first-task")
