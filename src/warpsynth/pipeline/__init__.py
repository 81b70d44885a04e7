"""The generation pipeline: a run is a fixed set of deterministic shard tasks run by an executor.

``generate(n, out, ...)`` is the library entry point (``warpsynth generate`` calls it).
"""

from warpsynth.pipeline.config import RunConfig
from warpsynth.pipeline.executors import Executor, InlineExecutor, LocalExecutor, RetryPolicy
from warpsynth.pipeline.run import generate
from warpsynth.pipeline.summary import RunSummary
from warpsynth.pipeline.task import ShardTask, TaskResult

__all__ = ["Executor", "InlineExecutor", "LocalExecutor", "RetryPolicy", "RunConfig", "RunSummary", "ShardTask", "TaskResult", "generate"]
