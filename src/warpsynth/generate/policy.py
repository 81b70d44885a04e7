"""The generator's policy: every probability and weight its choices use, in one frozen object.

Mechanism (``expr.py``, ``stmt.py``, ``scope.py``, ``kernel.py``, ``tile.py``)
asks the policy instead of writing thresholds inline, the way YARPGen keeps its
``gen_policy`` and Csmith its probability tables.  The policy is part of
``GeneratorConfig`` (so of the config hash and the dataset card): changing a
number changes the hash and therefore names a different dataset.

Field naming: ``p_*`` is a probability in [0, 1] (``rng.random() < p``);
``w_*`` is a weight table ``((choice, weight), ...)`` for ``rng.choices``.
Category recipes (``categories.py``) scale some tables per category.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields

Table = tuple[tuple[str, float], ...]

#: Warp builtin calls in ``@wp.kernel``/``@wp.func`` bodies of the installed warp-lang 1.19.0
#: ``warp/examples`` (93 files, 722 calls), made with
#: ``python -c "from warpsynth.generate.reference import corpus_counts; print(corpus_counts()[0].most_common())"``
REFERENCE_BUILTIN_CALLS: Table = (
    ("tid", 155.0), ("tile_load", 54.0), ("max", 38.0), ("length", 33.0), ("abs", 26.0), ("tile_store", 25.0),
    ("atomic_add", 19.0), ("sin", 19.0), ("min", 17.0), ("normalize", 16.0), ("dot", 15.0), ("sqrt", 15.0),
    ("clamp", 13.0), ("cos", 13.0), ("mesh_eval_position", 13.0), ("tile_matmul", 13.0), ("where", 11.0),
    ("floor", 10.0), ("float64", 9.0), ("sign", 8.0), ("tile", 8.0), ("tile_map", 8.0), ("tile_sum", 8.0),
    ("tile_transpose", 8.0), ("tile_atomic_add", 7.0), ("volume_sample_f", 7.0), ("exp", 6.0), ("lerp", 6.0),
    ("tile_fft", 5.0), ("tile_ifft", 5.0), ("block_dim", 4.0), ("hash_grid_point_id", 4.0),
    ("hash_grid_query", 4.0), ("identity", 4.0), ("mesh_query_point_sign_winding_number", 4.0), ("outer", 4.0),
    ("rand_init", 4.0), ("tile_broadcast", 4.0), ("tile_zeros", 4.0), ("transform_point", 4.0), ("untile", 4.0),
    ("atomic_cas", 3.0), ("atomic_exch", 3.0), ("bvh_query_next", 3.0), ("radians", 3.0), ("randf", 3.0),
    ("randn", 3.0), ("static", 3.0), ("tile_query_valid", 3.0), ("volume_world_to_index", 3.0), ("cross", 2.0),
    ("cw_mul", 2.0), ("length_sq", 2.0), ("mesh_query_aabb", 2.0), ("mesh_query_ray", 2.0), ("pow", 2.0),
    ("printf", 2.0), ("quat_rotate", 2.0), ("tile_bvh_query_next", 2.0), ("tile_cholesky", 2.0),
    ("tile_lower_solve_inplace", 2.0), ("trace", 2.0), ("transform_vector", 2.0), ("acos", 1.0), ("atan2", 1.0),
    ("atomic_sub", 1.0), ("bvh_query_aabb", 1.0), ("bvh_query_ray", 1.0), ("bvh_query_sphere", 1.0),
    ("float32", 1.0), ("intersect_tri_tri", 1.0), ("inverse", 1.0), ("lower_bound", 1.0),
    ("mesh_query_aabb_next", 1.0), ("mesh_query_point", 1.0), ("mesh_query_point_sign_normal", 1.0), ("mod", 1.0),
    ("noise", 1.0), ("quat_rotate_inv", 1.0), ("quat_rpy", 1.0), ("sample_unit_sphere_surface", 1.0),
    ("tile_arange", 1.0), ("tile_bvh_query_aabb", 1.0), ("tile_bvh_query_ray", 1.0), ("tile_cholesky_solve", 1.0),
    ("tile_extract", 1.0), ("tile_from_thread", 1.0), ("tile_full", 1.0), ("tile_mesh_query_aabb", 1.0),
    ("tile_mesh_query_aabb_next", 1.0), ("tile_scan_inclusive", 1.0), ("tile_sort", 1.0),
    ("tile_store_indexed", 1.0), ("tile_upper_solve_inplace", 1.0), ("transform_inverse", 1.0), ("transpose", 1.0),
    ("vector", 1.0), ("volume_sample_grad_f", 1.0),
)


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
    inactive elements, a bounds guard on the thread indices, a batch of environments (2-D ``env, i = wp.tid()`` launch),
    in tile kernels unpacking the lane (``i, _ = wp.tid()``) and passing ``tile_load``'s shape
    positionally, writing a single-use temporary inline instead of binding it to a local, computing an
    output value into a named local before storing it.
    ``param_order``: weights of parameter-order styles (outputs always last).
    ``guard_form`` / ``guard_limit``: weights of the bounds guard's form (early ``return`` or the body
    wrapped in ``if``) and of what it tests against (count parameters, ``a.shape``, ``len(a)``).
    ``spelling``: weights of equivalent spellings (``wp.length(v)`` / ``wp.sqrt(wp.dot(v, v))`` ...).
    ``reduce_quantity``: weights of what a reduction reduces (a scalar array, or speed, kinetic
    energy, displacement or height computed from particle state).
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
    func_overload: float = 0.8
    func_grad: float = 0.4
    static_expr: float = 0.35
    generic_kernel: float = 0.2
    early_return: float = 0.5
    bounds_guard: float = 0.45
    batched: float = 0.3
    tile_lane_tid: float = 0.3
    tile_positional_shape: float = 0.3
    inline_temp: float = 0.5
    bind_output: float = 0.4
    param_order: dict = field(default_factory=lambda: {"declared": 2.0, "arrays_first": 1.0, "scalars_first": 0.4})
    reduce_quantity: dict = field(default_factory=lambda: {
        "scalar": 3.0, "speed": 1.0, "kinetic_energy": 1.0, "displacement": 0.7, "height": 0.5})
    guard_form: dict = field(default_factory=lambda: {"return": 3.0, "wrap": 1.0})
    guard_limit: dict = field(default_factory=lambda: {"param": 1.5, "shape": 1.5, "len": 0.4})
    spelling: dict = field(default_factory=lambda: {
        "length": {"length": 6.0, "sqrt_dot": 0.6, "norm_l2": 0.5}, "length_sq": {"dot": 1.0, "length_sq": 1.0},
        "zero": {"empty": 2.0, "scalar": 1.0, "full": 1.0}})
    epilogue: dict = field(default_factory=lambda: {"relax": 0.12, "clamp": 0.15, "gain": 0.1, "stat": 0.08})
    particle_steps: dict = field(default_factory=lambda: {
        "damping": 0.4, "max_speed": 0.2, "bounds": 0.15, "ground": 0.3, "sphere": 0.2, "volume_sdf": 0.1, "mesh": 0.1})
    variants: dict = field(default_factory=lambda: {
        "particles": {"semi_implicit": 2.0, "verlet": 1.0, "ground_plane": 1.5, "sphere_collider": 1.0},
        "springs": {"spring_forces": 2.0, "distance_constraint": 1.5, "tether": 0.7},
        "neighbors": {"density": 1.5, "viscosity": 1.0, "count": 1.0, "separation": 1.0, "reorder": 0.4},
        "geometry_queries": {"mesh_closest": 1.5, "mesh_ray": 1.5, "mesh_aabb": 1.0, "bvh_aabb": 1.0, "bvh_ray": 1.0},
        "volume": {"sample_linear": 1.5, "sample_gradient": 1.0, "sdf_collide": 1.0, "ray_march": 1.0, "voxels": 0.7},
        "stencil": {"laplacian": 1.0, "diffusion": 1.5, "wave": 1.0, "advection": 1.0, "gradient": 0.8, "jacobi": 1.0},
        "reduction": {"histogram": 1.5, "atomic_sum": 1.0, "segmented": 1.0, "tile_sum": 0.5, "block_sum": 0.5, "block_histogram": 0.5, "minmax": 0.7, "count_if": 0.7},
        "kinematics": {"rigid_integrate": 1.5, "transform_points": 1.5, "fk_chain": 1.0, "quat_rotate": 1.0, "slerp": 0.7,
                       "planar_fk": 1.0, "animate": 1.2, "relative_rotation": 0.8},
        "monte_carlo": {"pi_estimate": 1.0, "random_walk": 1.0, "sphere_sampling": 1.0, "jitter": 1.0, "integrate": 1.0,
                        "resample": 0.8},
        "linalg": {"fem_assembly": 1.5, "small_solve": 1.5, "tile_cholesky": 1.0, "covariance": 1.0, "polar": 0.8},
        "tiled": {"gemm": 3.5, "dense_layer": 2.5, "fft": 0.5, "sort": 0.5, "softmax": 0.5, "transpose": 0.15, "scan": 0.4},
    })

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


DEFAULT_POLICY = MotifPolicy()


@dataclass(frozen=True)
class Policy:
    # --- expressions (expr.py) -------------------------------------------------------------
    #: base weights of an expression node's kind; per-type additions below
    w_expr: Table = (("leaf", 1.0), ("op", 1.2), ("call", 1.2))
    w_expr_float_scalar: Table = (("component", 0.6), ("ifexp", 0.3), ("call", 1.6))
    w_expr_float_vec: Table = (("ctor", 1.0), ("op", 2.0))
    w_expr_mat: Table = (("ctor", 0.5),)
    w_expr_quat: Table = (("ctor", 0.5),)
    w_expr_int: Table = (("op", 3.0), ("conv", 1.0))
    #: integer operators: index arithmetic first, as in real kernels; bit operations and shifts
    #: (hashes, flags) are rare there (they were 7 of 12 equal choices before, and read as noise)
    w_int_op: Table = (("add", 3.0), ("sub", 2.0), ("mul", 2.0), ("floordiv", 0.6), ("mod", 0.8), ("neg", 0.5),
                       ("bit_and", 0.4), ("bit_or", 0.25), ("bit_xor", 0.25), ("lshift", 0.25), ("rshift", 0.25),
                       ("invert", 0.1))
    w_expr_conv_needed: float = 4.0  # "conv" weight when no value of the wanted scalar type is in scope
    w_expr_helper: float = 1.5
    w_expr_random: float = 1.0
    p_leaf_var: float = 0.8  # a leaf reads a variable (if one of the type is in scope)
    w_unread_var: float = 6.0  # weight of a variable nobody has read yet, against 1 for one already read
    max_sink_terms: int = 1  # most unread locals an output's expression folds in
    min_kernel_statements: int = 4  # a kernel with fewer after dead-code removal is built again ...
    build_retries: int = 3  # ... at most this many builds in all
    trivial_retries: int = 3  # tries to build a non-trivial expression before falling back to a leaf
    p_leaf_read: float = 0.5  # ... else an array element, when variables of the type exist
    p_leaf_read_no_var: float = 0.7  # ... an array element, when no variable of the type exists
    p_leaf_derive: float = 0.75  # nothing of the type in scope: derive one (``wp.vec3(x, y, 0.5)``)
    atomic_bound_float: float = 1000.0  # |value| a float atomic adds (clamped only above: 256 threads x 216 trips stay finite)
    atomic_bound_int: float = 100.0  # ... an int atomic adds (far from int32 overflow)
    p_ifexp_where: float = 0.5  # a conditional value is ``wp.where(c, a, b)`` rather than ``a if c else b``
    p_loop_accumulate: float = 0.8  # inside a loop, an update of an enclosing value accumulates (``acc += e``), not ``acc = e``
    p_call_arg_var: float = 0.7  # a literal argument of a builtin call reads a value of its type instead (no literals
    # deep in call chains; guard bounds and eps are added after)
    p_assign_copy_retry: float = 0.9  # ``b = a`` (a plain copy of a value) is drawn again as a computation
    p_bool_true: float = 0.5
    p_vec_const_splat: float = 0.25  # ``wp.vec3(0.5)`` instead of three components
    p_quat_const_identity: float = 0.3
    p_transform_const_identity: float = 0.2
    p_ctor_generic_vector: float = 0.08  # ``wp.vector(..., length=, dtype=)``
    p_ctor_generic_matrix: float = 0.15  # ``wp.matrix(..., shape=, dtype=)``
    p_ctor_spatial_vector: float = 0.5  # ``wp.spatial_vector`` instead of ``wp.spatial_vectorf``
    p_transform_ctor_kw: float = 0.3  # ``wp.transformation(p, q, dtype=)``
    w_squash_float: Table = (("bounded", 0.6), ("clamp", 0.15), ("scale", 1.4))  # over-limit float: tanh.., clamp, * 0.01
    p_squash_int_mask: float = 0.5  # an over-limit int is masked (``& 63``) rather than wrapped (``% 97``)
    p_squash_vec_normalize: float = 0.5
    p_int_divisor_size: float = 0.7  # an int divisor is a positive int parameter (``k % n``) where one exists
    p_divisor_param: float = 0.7  # a float divisor is a positive parameter (``x / dt``) where one exists
    p_exp_gaussian: float = 0.7  # ``wp.exp(x)`` of a large variable becomes ``wp.exp(-x * x)`` (else ``clamp(x, -4, 4)``)
    p_divisor_max: float = 0.6  # a divisor is ``wp.max(d, 0.5)`` rather than ``wp.abs(d) + 0.5``
    p_mat4_compose: float = 0.5  # a 4x4 matrix from ``wp.transform_compose(p, q, s)``
    p_component_attr: float = 0.3  # ``v.x`` rather than ``v[0]``
    p_vec_matvec: float = 0.5  # a vector product is ``M * v``
    p_mat_matmul: float = 0.5  # a matrix product is ``A * B``
    p_scalar_mul_left: float = 0.5  # ``s * v`` rather than ``v * s``
    p_randi_range: float = 0.5  # ``wp.randi(state, lo, hi)`` rather than ``wp.randi(state) & 255``
    p_rand_poisson: float = 0.5  # a random uint32 is ``wp.poisson`` rather than ``wp.randu``
    p_cond_boolop: float = 0.12  # a condition is ``a and b`` / ``a or b``
    p_cond_not: float = 0.05  # ``not c``
    p_cond_predicate: float = 0.04  # ``wp.isfinite(x)`` ...
    p_cond_rhs_const: float = 0.5  # a comparison against a literal
    #: builtin choice: weight factor for a builtin already used in the program, and for
    #: piecewise-constant float builtins (floor, sign...)
    builtin_repeat_factor: float = 0.35
    builtin_rare_factor: float = 0.3
    #: a builtin's weight is also multiplied by ``(1 + calls in real code) ** builtin_reference_power``
    #: (``w_builtin_reference``: the counts above), pulling the call mix towards real code
    w_builtin_reference: Table = REFERENCE_BUILTIN_CALLS
    builtin_reference_power: float = 0.5
    #: factor on drawing these as plain calls: guards and squashing already emit them far more often
    #: than real code calls them (clamp 7%, max 10%, abs 5% of generated calls against 1.8%, 5.3%, 3.6%)
    w_builtin_guard_damping: Table = (("clamp", 0.25), ("max", 0.5), ("abs", 0.5))
    # --- statements (stmt.py) --------------------------------------------------------------
    w_stmt: Table = (("assign", 4.0), ("aug", 2.0), ("comp", 0.5), ("ifs", 1.0), ("forl", 0.6), ("whilel", 0.15),
                     ("brk", 0.15), ("cont", 0.1), ("atomic", 0.0), ("decomp", 0.0))
    w_if_branches: Table = (("1", 4.0), ("2", 4.0), ("3", 2.0), ("4", 1.0))
    p_assign_outer: float = 0.5  # an assignment inside a branch/loop updates an enclosing variable
    p_aug_mul: float = 0.25  # an augmented assignment is ``x *= e``
    p_component_write_attr: float = 0.3  # ``v.x = e`` rather than ``v[0] = e``
    p_if_has_else: float = 0.7
    p_loop_static: float = 0.45  # ``for k in range(4)``
    p_loop_param: float = 0.30  # ``for k in range(n)`` over an int parameter (else over a table's length)
    p_loop_reversed: float = 0.2  # ``range(hi, lo, -1)``
    p_loop_len: float = 0.4  # ``range(len(a))`` rather than ``range(a.shape[0])``
    mean_body_statements: float = 6.0  # kernel body statement budget: min + Exp(mean)
    # --- array indexing (scope.py) ---------------------------------------------------------
    p_index_var: float = 0.75  # index by a thread id / loop counter in range
    p_index_own_axis: float = 0.85  # a thread id indexes the array axis of its launch dimension
    p_index_direct: float = 0.55  # ... the variable itself (else a stencil neighbour, in stencil kernels)
    p_stencil_plus: float = 0.15  # ``wp.min(i + 1, a.shape[0] - 1)``
    p_stencil_minus: float = 0.15  # ``wp.max(i - 1, 0)`` (else periodic ``(i + 1) % n``)
    p_index_gather: float = 0.35  # through an index array
    p_index_wrap_mod: float = 0.5  # an out-of-range counter is wrapped ``k % n`` (else clamped)
    # --- kernel assembly (kernel.py) -------------------------------------------------------
    w_value_float: float = 3.0  # value-type choice: float32
    w_value_int: float = 0.6
    w_value_other: float = 1.5
    w_outputs: Table = (("1", 3.0), ("2", 1.0))
    p_input_int_signed: float = 0.6
    p_helper_struct_param: float = 0.6
    p_helper_early_return: float = 0.25
    helper_arg_limit: float = 100.0  # a helper argument's bound (larger ones are clamped/normalised at the call)
    p_channel_axis: float = 0.12  # an input with a trailing channel axis
    p_table_array: float = 0.15  # a small 1-D table input in any category
    p_param_positive: float = 0.7  # a float parameter's value is positive (a step, a mass, a scale)
    p_vec_param: float = 0.15  # a vec3 scalar parameter
    p_atomic_int: float = 0.3
    p_reduction_single_bin: float = 0.6
    p_preload_input: float = 0.6  # ``x = a[i]`` at the top of the kernel
    # --- tile kernels (tile.py) ------------------------------------------------------------
    p_tile_square: float = 0.7
    p_tile_total: float = 0.6  # a reduction into a 1-element output
    p_tile_scale_param: float = 0.4
    p_tile_storage_kw: float = 0.2
    p_tile_unary_helper: float = 0.5
    p_tile_scale_by_param: float = 0.6
    p_tile_chain: float = 0.6  # a tile op works on the newest tile (else any earlier one)
    p_tile_atomic_add: float = 0.5  # ``wp.tile_atomic_add`` rather than ``atomic_add(total, 0, s[0])``
    # --- motif families (generate/motifs) ---------------------------------------------------
    motifs: MotifPolicy = field(default_factory=MotifPolicy)

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name.startswith("p_") and not 0.0 <= v <= 1.0:
                raise ValueError(f"policy {f.name} must be a probability in [0, 1], got {v}")
            if f.name.startswith("w_") and isinstance(v, tuple) and any(w < 0 for _, w in v):
                raise ValueError(f"policy {f.name} has a negative weight")

    def table(self, name: str) -> dict[str, float]:
        """A weight table as a dict (insertion order = declaration order)."""
        return dict(getattr(self, name))

    def to_dict(self) -> dict:
        """JSON-able form (tables as ``{choice: weight}``)."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, MotifPolicy):
                out[f.name] = asdict(v)
            else:
                out[f.name] = {k: float(w) for k, w in v} if isinstance(v, tuple) else v
        return out

    def hash(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]
