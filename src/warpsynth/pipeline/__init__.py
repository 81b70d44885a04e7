"""The generation pipeline: a run is a fixed set of deterministic shard tasks run by an executor.

``generate(n, out, ...)`` is the library entry point (``warpsynth generate`` calls it).

- ``run``: ``generate()``; ``config``: the run config and its hash; ``programs``: where programs
  come from; ``summary``, ``progress``: the final table and the bar; ``results``: the run's
  reports and card from the tasks' markers.
- ``task``: one shard task (a frozen value: paths, marker); ``runner``: one attempt at it;
  ``stages``: its per-sample stages; ``verifying``: the adapter to ``warpsynth.verify``;
  ``stats``: counts that add up and the marker record; ``journal``: crash bookkeeping;
  ``faults``: test-only crash injection; ``process``: worker set-up and memory readings.
- ``executors``: ``base`` (the interface and the one retry rule), ``inline``, ``local``,
  ``ray_cluster``, and the name registry.
"""

from warpsynth.pipeline.config import RunConfig
from warpsynth.pipeline.executors import Executor, InlineExecutor, LocalExecutor, RetryPolicy
from warpsynth.pipeline.run import generate
from warpsynth.pipeline.summary import RunSummary
from warpsynth.pipeline.task import ShardTask, TaskResult

__all__ = ["Executor", "InlineExecutor", "LocalExecutor", "RetryPolicy", "RunConfig", "RunSummary", "ShardTask", "TaskResult", "generate"]
