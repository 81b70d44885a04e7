import warp as wp


@wp.func
def spring_force(x: wp.vec3, k: float) -> wp.vec3:
    return -k * x


@wp.kernel
def integrate(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3), dt: float):
    tid = wp.tid()
    f = spring_force(x[tid], 2.0)
    v[tid] = v[tid] + f * dt
    x[tid] = x[tid] + v[tid] * dt
    wp.atomic_add(x, 0, wp.normalize(f) * wp.length(f))


def host_code():
    wp.launch(integrate, dim=4, inputs=[])  # not inside a Warp function: not counted
