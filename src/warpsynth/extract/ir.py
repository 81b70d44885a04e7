"""What extraction returns for one kernel: its Python, and Warp's code per target."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class TargetCode:
    """Warp's generated code for one kernel on one target ("cpu" or "cuda").

    All fields are verbatim slices of the module source Warp compiles:
    ``forward``/``backward`` the kernel's two functions, ``entry`` the CPU
    task/dispatch/``extern "C"`` wrappers (empty on CUDA), ``helpers`` the
    kernel's ``@wp.func`` helpers (transitively), ``structs`` the
    ``@wp.struct`` definitions the kernel and its helpers use, ``declarations`` (CUDA
    only, usually empty) the LTO link marker and ``extern "C"`` declarations of the
    MathDx symbols the kernel calls, which Warp puts before the structs.
    """

    forward: str
    backward: str
    entry: str
    helpers: str
    structs: str
    block_dim: int
    declarations: str = ""

    @property
    def text(self) -> str:
        """The module source minus its fixed header, in Warp's emission order."""
        return self.declarations + self.structs + self.helpers + self.forward + self.backward + self.entry


@dataclass
class KernelArg:
    name: str
    type: str


@dataclass
class KernelIR:
    """One kernel and the exact code Warp generates for it."""

    kernel_name: str
    mangled_name: str
    python_source: str
    args: list[KernelArg]
    targets: dict[str, TargetCode]
    ptx: dict[str, str] = field(default_factory=dict)
    source_file: str | None = None
    source_line: int | None = None
    helper_names: list[str] = field(default_factory=list)
    struct_names: list[str] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    warp_version: str = ""

    def to_dict(self) -> dict:
        return asdict(self)
