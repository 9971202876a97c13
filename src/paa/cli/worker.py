"""`paa worker`: run the job queue's jobs (reminder delivery, embedding, the check-in's reading by the model).

The worker is the daemon's interface (`python -m paa.daemon worker`): this command hands over to it, so a running
worker never loads the CLI.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer


def worker(
    threads: Annotated[int, typer.Option("--threads", min=1, max=64, help="Jobs run at once.")] = 4,
) -> None:
    """Run background jobs from the Redis queue until Ctrl-C or SIGTERM (with queue.enabled).

    Start as many as you like, on any machine that shares the database and Redis: each reminder is still sent once.

    Examples:

      PAA_QUEUE_ENABLED=true PAA_REDIS_URL=redis://127.0.0.1:6379/0 paa worker

      paa worker --threads 8
    """
    sys.stdout.flush()
    sys.stderr.flush()
    command = [sys.executable, "-m", "paa.daemon", "worker", "--threads", str(threads)]
    os.execv(command[0], command)
