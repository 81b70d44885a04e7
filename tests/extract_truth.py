"""Warp's own output for the extract cases, produced in a fresh process (run by tests/test_extract_cases.py).

    python extract_truth.py CACHE_DIR LTO_DIR OUT_JSON ROOT:MODULE [ROOT:MODULE ...]

Imports each module (ROOT put on sys.path), then for every Warp module that importing
created (Warp's library modules aside): a real CPU load, exactly what ``wp.launch`` on
the CPU does (``Module.load("cpu", block_dim=1)``; a file's ``run_cpu()`` is called
when it has one), after which the kernel-cache ``.cpp`` is read; and
``wp.compile_aot_module(arch=[90])``, whose ``.cu`` is read. A build that fails
(Warp bug #1794 in case 05) still leaves Warp's ``.cpp``; its CUDA text is then
``ModuleBuilder.codegen`` (what compile_aot_module would have written).

Factory kernels that differ only in ``wp.static`` choices (case 02): Warp 1.19 resolves the
static expressions of only one of them before hashing, chosen by the process's WeakSet
order, so its mangled names change from run to run. Here each kernel of such a module is
first built on its own (Warp's ModuleBuilder), so Warp's load hashes every variant from
its resolved statics: the run-independent form that extract emits.
"""

import glob
import importlib
import json
import os
import sys
import tempfile

import warp as wp

cache_dir, lto_dir, out_json, *specs = sys.argv[1:]
wp.config.kernel_cache_dir = cache_dir
wp.config.log_level = wp.LOG_ERROR
os.makedirs(cache_dir, exist_ok=True)
if not os.path.exists(os.path.join(cache_dir, "lto")):
    os.symlink(lto_dir, os.path.join(cache_dir, "lto"))  # reuse compiled MathDx LTOs (~40 s each)
wp.init()
from warp._src import context  # noqa: E402

created = []
original = context.Module.__init__


def track(self, *args, **kwargs):
    original(self, *args, **kwargs)
    created.append(self)


context.Module.__init__ = track
modules = []
for spec in specs:
    root, name = spec.split(":")
    sys.path.insert(0, root)
    modules.append(importlib.import_module(name))
context.Module.__init__ = original

WARP_DIR = os.path.dirname(os.path.abspath(wp.__file__))


def is_library(module):
    return all(os.path.abspath(k.adj.filename).startswith(WARP_DIR) for k in module._get_live_kernels())


for module in created:
    if module.has_unresolved_static_expressions:
        options = module.resolve_options(wp.config, block_dim=1) | {"output_arch": None}
        for kernel in module._get_live_kernels():
            context.ModuleBuilder(module, options, hasher=context.ModuleHasher([kernel], options))
        module.has_unresolved_static_expressions = False

for module in modules:
    if hasattr(module, "run_cpu"):
        try:
            module.run_cpu()
        except Exception:
            pass

truth = {}
for module in created:
    if not module._get_live_kernels() or is_library(module):
        continue
    entry = {}
    try:
        module.load("cpu", block_dim=1)
    except Exception as exc:
        entry["cpu_error"] = str(exc).splitlines()[0]
    ident = module.get_module_identifier(1)
    [cpp] = sorted(glob.glob(os.path.join(cache_dir, "**", ident + "*", "*.cpp"), recursive=True))[-1:]
    entry["cpp"] = open(cpp).read()
    aot = tempfile.mkdtemp()
    try:
        wp.compile_aot_module(module, arch=[90], use_ptx=True, module_dir=aot)
        [cu] = glob.glob(os.path.join(aot, "*.cu"))
        entry["cu"] = open(cu).read()
    except Exception as exc:
        entry["cuda_error"] = str(exc).splitlines()[0]
        options = module.resolve_options(wp.config) | {"output_arch": 90}
        builder = context.ModuleBuilder(module, options, target="cuda")
        entry["cu_codegen"] = builder.codegen("cuda")
    truth[module.name] = entry
json.dump(truth, open(out_json, "w"))
