"""The worker class the Procfile runs: RQ's forking Worker with Lapor's jobs imported up front.

RQ imports a job's module in the forked work-horse, so without this every job would pay for
importing Flask, SQLAlchemy and the models again (about 1.5 s here); imported once in the
parent, each fork starts with them in memory.
"""

from __future__ import annotations

from rq import Worker

import workers.maintenance  # noqa: F401
import workers.notify  # noqa: F401
import workers.routing  # noqa: F401
import workers.sla  # noqa: F401


class LaporWorker(Worker):
    """rq's Worker, started with the job modules already imported."""
