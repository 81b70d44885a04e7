"""Per-thread tiles in a plain wp.launch: a block sum (``wp.tile_sum(wp.tile(v))``, as in Warp's
example_fdtd_3d.py) and a privatized histogram (``tile_scatter_add`` into shared bins).

``wp.tile(v)`` has one element per thread, so its CUDA type is ``tile_shape_t<block_dim>`` at the
module's CUDA block_dim (256 here, Warp's default) and ``tile_shape_t<1>`` on the CPU, which
launches with block_dim 1. warpsynth once emitted the CPU's shape in the CUDA text, which NVRTC
then rejected ("no operator = matches these operands").
"""

import numpy as np
import warp as wp


@wp.kernel
def energy_sum(v: wp.array(dtype=wp.vec3), total: wp.array(dtype=float)):
    i = wp.tid()
    e = 0.5 * wp.dot(v[i], v[i])
    s = wp.tile_sum(wp.tile(e))
    wp.tile_atomic_add(total, s)


@wp.kernel
def histogram(x: wp.array(dtype=float), counts: wp.array(dtype=int)):
    i = wp.tid()
    b = int((x[i] + 1.0) * 4.0)
    h = wp.tile_zeros(shape=8, dtype=int, storage="shared")
    wp.tile_scatter_add(h, b, 1, b >= 0 and b < 8)
    wp.tile_atomic_add(counts, h)


def run_cpu():
    v = wp.array(np.ones((256, 3), dtype=np.float32), dtype=wp.vec3)
    total = wp.zeros(1, dtype=float)
    wp.launch(energy_sum, dim=256, inputs=[v, total], device="cpu")
    x = wp.array(np.linspace(-1.0, 0.99, 256, dtype=np.float32))
    counts = wp.zeros(8, dtype=int)
    wp.launch(histogram, dim=256, inputs=[x, counts], device="cpu")
