"""Every probability and weight the motif generator uses, in one place.

Kept as one frozen dataclass so it can be folded into the generator-wide policy
object (issue 15) and recorded in the config hash.  ``MotifPolicy().to_json()``
is stable; motifs read ``builder.policy.<field>`` and never hold a literal
probability of their own.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class MotifPolicy:
    """Probabilities (0..1) of the style and language choices a motif makes.

    Style: ``float64`` precision, ``wp.array[T]`` subscript annotations (else
    ``wp.array(dtype=T)``), ``wp.float32`` rather than ``float`` for scalars.
    Structure: array-of-structs particle state, a nested struct inside it,
    ``wp.constant`` module constants, extracting the motif's core into a
    ``@wp.func`` helper, a second ``@wp.func`` overload of that helper, a custom
    ``@wp.func_grad``, ``wp.static`` loop bounds / branches, a generic
    ``typing.Any`` kernel with one ``wp.overload``, an early ``return`` for
    inactive elements, an ``if tid >= n: return`` bounds guard, a batch of environments (2-D ``env, i = wp.tid()`` launch),
    writing a single-use temporary inline instead of binding it to a local, computing an
    output value into a named local before storing it.
    ``param_order``: weights of parameter-order styles (outputs always last).
    ``spelling``: weights of equivalent spellings (``wp.length(v)`` / ``wp.sqrt(wp.dot(v, v))`` ...).
    ``epilogue``: probability of each output epilogue (``MotifBuilder.store``).
    ``particle_steps``: probability of each post-integration step of a particle update.  ``variants``: per motif family, the weight of each variant.
    """

    float64: float = 0.2
    subscript_annotation: float = 0.5
    wp_scalar_annotation: float = 0.25
    struct_state: float = 0.3
    settings_struct: float = 0.3
    nested_struct: float = 0.5
    module_constant: float = 0.45
    helper_func: float = 0.5
    func_overload: float = 0.3
    func_grad: float = 0.25
    static_expr: float = 0.35
    generic_kernel: float = 0.2
    early_return: float = 0.5
    bounds_guard: float = 0.3
    batched: float = 0.3
    inline_temp: float = 0.5
    bind_output: float = 0.4
    param_order: dict = field(default_factory=lambda: {"declared": 2.0, "arrays_first": 1.0, "scalars_first": 0.4})
    spelling: dict = field(default_factory=lambda: {
        "length": {"length": 6.0, "sqrt_dot": 1.0, "norm_l2": 0.5}, "length_sq": {"dot": 2.0, "length_sq": 1.0},
        "zero": {"empty": 2.0, "scalar": 1.0, "full": 1.0}})
    epilogue: dict = field(default_factory=lambda: {"relax": 0.12, "clamp": 0.15, "gain": 0.1, "stat": 0.15})
    particle_steps: dict = field(default_factory=lambda: {
        "damping": 0.4, "max_speed": 0.2, "bounds": 0.15, "ground": 0.3, "sphere": 0.2, "volume_sdf": 0.1, "mesh": 0.1})
    variants: dict = field(default_factory=lambda: {
        "particles": {"semi_implicit": 2.0, "verlet": 1.0, "ground_plane": 1.5, "sphere_collider": 1.0},
        "springs": {"spring_forces": 2.0, "distance_constraint": 1.5, "tether": 0.7},
        "neighbors": {"density": 1.5, "viscosity": 1.0, "count": 1.0, "separation": 1.0},
        "geometry_queries": {"mesh_closest": 1.5, "mesh_ray": 1.5, "bvh_aabb": 1.0, "bvh_ray": 1.0},
        "volume": {"sample_linear": 1.5, "sample_gradient": 1.0, "sdf_collide": 1.0, "ray_march": 1.0, "voxels": 0.7},
        "stencil": {"laplacian": 1.0, "diffusion": 1.5, "wave": 1.0, "advection": 1.0, "gradient": 0.8, "jacobi": 1.0},
        "reduction": {"histogram": 1.5, "atomic_sum": 1.0, "segmented": 1.0, "tile_sum": 1.0, "minmax": 0.7, "count_if": 0.7},
        "kinematics": {"rigid_integrate": 1.5, "transform_points": 1.5, "fk_chain": 1.0, "quat_rotate": 1.0, "slerp": 0.7},
        "monte_carlo": {"pi_estimate": 1.0, "random_walk": 1.0, "sphere_sampling": 1.0, "jitter": 1.0, "integrate": 1.0},
        "linalg": {"fem_assembly": 1.5, "small_solve": 1.5, "tile_cholesky": 1.0, "covariance": 1.0, "polar": 0.8},
    })

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


DEFAULT_POLICY = MotifPolicy()
