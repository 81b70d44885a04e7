"""Hand-written kernel sources shared by the extraction tests."""

STRUCT_HELPERS = '''
import warp as wp


@wp.struct
class Params:
    scale: float
    offset: wp.vec3


@wp.func
def square(x: float):
    return x * x


@wp.func
def shaped(x: float, p: Params):
    if x > 0.0:
        return square(x) * p.scale
    return -x


@wp.kernel
def deform(x: wp.array(dtype=float), y: wp.array(dtype=wp.vec3), m: wp.array(dtype=wp.mat33), p: Params):
    i = wp.tid()
    y[i] = m[i] * y[i] * shaped(x[i], p) + p.offset
'''

TWO_KERNELS = '''
import warp as wp


@wp.func
def used_by_first(a: float):
    return wp.sin(a) + 1.0


@wp.func
def used_by_second(a: float):
    return wp.cos(a) * 2.0


@wp.kernel
def first(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = used_by_first(a[i])


@wp.kernel
def second(q: wp.array2d(dtype=wp.quat), t: wp.array(dtype=wp.transform), s: float):
    i, j = wp.tid()
    q[i, j] = wp.normalize(q[i, j]) * used_by_second(s)
'''
