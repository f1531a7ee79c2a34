"""The RQ worker that `vinculo worker` runs when ``VINCULO_TASKS=rq``.

RQ 3.0 listens for its commands (stop a job, shut down) in a thread that blocks on Redis for up
to 60 seconds at a time. When the worker stops, it unsubscribes and closes that connection; if
the thread had not yet entered its read, the close waits for the read to time out, so a worker
told to stop (SIGTERM from systemd during a deploy, or the end of a ``--burst`` run) took up to
a minute to exit instead of a moment (rq/rq#1613, #2201). A one-second read bounds that wait;
the cost is one idle round trip to Redis per second per worker.
"""

from __future__ import annotations

from rq.worker import SimpleWorker, Worker

COMMAND_POLL_SECONDS = 1


class PromptStopMixin:
    """Listen for RQ's worker commands with a short blocking read, so a stop is prompt."""

    def subscribe(self) -> None:
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=COMMAND_POLL_SECONDS, daemon=True,
            exception_handler=self._pubsub_exception_handler)


class PromptWorker(PromptStopMixin, Worker):
    """RQ's forking worker (a work horse per task), stopping within a second or two."""


class PromptSimpleWorker(PromptStopMixin, SimpleWorker):
    """The same, running tasks in its own process (the test harness's in-process worker)."""
