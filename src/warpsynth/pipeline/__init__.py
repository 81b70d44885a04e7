"""The generation pipeline: a run is a fixed set of deterministic shard tasks run by an executor.

``generate(n, out, ...)`` is the library entry point (``warpsynth generate`` calls it).
"""

from warpsynth.pipeline.config import RunConfig
from warpsynth.pipeline.executor import Executor, InlineExecutor, LocalExecutor
from warpsynth.pipeline.run import RunSummary, generate
from warpsynth.pipeline.task import ShardTask, TaskResult

__all__ = ["Executor", "InlineExecutor", "LocalExecutor", "RunConfig", "RunSummary", "ShardTask", "TaskResult", "generate"]
