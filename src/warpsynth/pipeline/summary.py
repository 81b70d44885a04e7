"""``RunSummary``: what a ``generate`` run produced, and its final table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from warpsynth.dataset.folder import DATA_DIR
from warpsynth.pipeline.config import RunConfig


@dataclass
class RunSummary:
    """What a run produced (all tasks, including ones completed by earlier invocations)."""

    root: Path
    config: RunConfig
    mode: str
    tasks: int
    tasks_run: int
    rows: int
    rejected: int
    rejects_by_stage: dict
    categories: dict
    seconds: float
    samples_run: int
    workers: int
    peak_rss_mb: list[float] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    card: Path | None = None
    stats: Path | None = None
    rejects: Path | None = None

    def exit_status(self) -> int:
        """The CLI's exit status: 0 when rows were written, 1 when none was (every sample rejected)."""
        return 0 if self.rows > 0 else 1

    @property
    def samples_per_s(self) -> float:
        return self.samples_run / self.seconds if self.seconds > 0 else 0.0

    def print(self, console: Console | None = None) -> None:
        """The final summary table, then where the output and reports are."""
        console = console or Console()
        table = Table(title="warpsynth generate", show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        table.add_row("rows written", f"{self.rows:,}")
        stages = ", ".join(f"{k} {v}" for k, v in self.rejects_by_stage.items())
        table.add_row("rejected", f"{self.rejected:,}" + (f" ({stages})" if stages else ""))
        table.add_row("tasks", f"{self.tasks} ({self.tasks_run} run now, {self.tasks - self.tasks_run} already complete)")
        table.add_row("time", f"{self.seconds:.1f} s, {self.samples_per_s:.1f} samples/s with {self.workers} worker(s)")
        if self.peak_rss_mb:
            table.add_row("peak RSS / worker", ", ".join(f"{m:.0f} MB" for m in self.peak_rss_mb))
        top = sorted(self.categories.items(), key=lambda kv: -kv[1])[:6]
        if top:
            table.add_row("categories", ", ".join(f"{k or '(none)'} {v}" for k, v in top) + (" ..." if len(self.categories) > 6 else ""))
        table.add_row("warp", self.config.warp_version)
        console.print(table)
        if self.rows == 0:
            console.print(f"[bold red]no rows written[/]: all {self.rejected:,} sample(s) were rejected; see {self.rejects}", soft_wrap=True)
        console.print(f"output:  {self.root / DATA_DIR}/ ({len(self.files)} {self.config.fmt} shard(s), {self.rows:,} rows)", soft_wrap=True)
        console.print(f"card:    {self.card}", soft_wrap=True)
        console.print(f"report:  {self.stats} (timings, memory), {self.rejects} (rejected samples)", soft_wrap=True)
