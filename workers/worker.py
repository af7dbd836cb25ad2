"""The worker class the Procfile runs: RQ's forking Worker with Lapor's jobs imported up front,
riding out a Redis restart.

RQ imports a job's module in the forked work-horse, so without this every job would pay for
importing Flask, SQLAlchemy and the models again (about 1.5 s here); imported once in the
parent, each fork starts with them in memory.

RQ's worker waits for Redis only while it listens for a job; a connection error anywhere else
(watching a work-horse, a heartbeat, cleaning registries) makes it quit with "found an
unhandled exception". Its connection therefore retries every command through a restart
(lapor.infra.broker.ride_out_outages), and so does every client its jobs make.
"""

from __future__ import annotations

from rq import Worker

import workers.backup  # noqa: F401
import workers.maintenance  # noqa: F401
import workers.notify  # noqa: F401
import workers.privacy  # noqa: F401
import workers.routing  # noqa: F401
import workers.sla  # noqa: F401
from lapor.infra import broker


class LaporWorker(Worker):
    """rq's Worker, started with the job modules already imported, waiting out Redis restarts."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Before work() starts the scheduler process, which copies the connection's options.
        broker.ride_out_outages(self.connection)
