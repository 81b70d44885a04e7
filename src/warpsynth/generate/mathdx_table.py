"""GEMMs (``wp.tile_matmul``) that MathDx builds, as measured by ``scripts/mathdx_sweep.py``.

Generated file: do not edit. Made with

    python scripts/mathdx_sweep.py --sizes 4,8,16 --dtypes float32,float64 --block-dims 16,32,64 --archs 80,90 (stopped after 18 keys)
    python scripts/mathdx_sweep.py --sizes 4,8,16 --dtypes float32 --block-dims 16,32,64 --archs 80,90 --resume
    python scripts/mathdx_sweep.py --sizes 4,8,16 --dtypes float32,float64 --block-dims 16,32,64 --archs 80,90 --resume

Warp 1.19.0 (its bundled libmathdx), on a CPU-only machine (no GPU needed to build the LTO).
Keys are (M, N, K, dtype, block_dim, arch) for C[M, N] = A[M, K] @ B[K, N].
"""

ACCEPTED: frozenset[tuple[int, int, int, str, int, int]] = frozenset({
    (4, 4, 4, 'float32', 32, 80),
    (4, 4, 4, 'float32', 32, 90),
    (4, 4, 4, 'float32', 64, 80),
    (4, 4, 4, 'float32', 64, 90),
    (4, 4, 4, 'float64', 32, 80),
    (4, 4, 4, 'float64', 32, 90),
    (4, 4, 4, 'float64', 64, 80),
    (4, 4, 4, 'float64', 64, 90),
    (8, 8, 8, 'float32', 32, 80),
    (8, 8, 8, 'float32', 32, 90),
    (8, 8, 8, 'float32', 64, 80),
    (8, 8, 8, 'float32', 64, 90),
    (8, 8, 8, 'float64', 32, 80),
    (8, 8, 8, 'float64', 32, 90),
    (8, 8, 8, 'float64', 64, 80),
    (8, 8, 8, 'float64', 64, 90),
    (16, 16, 16, 'float32', 32, 80),
    (16, 16, 16, 'float32', 32, 90),
    (16, 16, 16, 'float32', 64, 80),
    (16, 16, 16, 'float32', 64, 90),
    (16, 16, 16, 'float64', 32, 80),
    (16, 16, 16, 'float64', 32, 90),
    (16, 16, 16, 'float64', 64, 80),
    (16, 16, 16, 'float64', 64, 90),
})

#: Each rejected key with MathDx's message.
REJECTED: dict[tuple[int, int, int, str, int, int], str] = {
    (4, 4, 4, 'float32', 16, 80): "Failed to compile LTO 'dot_4_4_4_80_16_1_1_1_5_5_5_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (4, 4, 4, 'float32', 16, 90): "Failed to compile LTO 'dot_4_4_4_90_16_1_1_1_5_5_5_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (4, 4, 4, 'float64', 16, 80): "Failed to compile LTO 'dot_4_4_4_80_16_1_1_1_6_6_6_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (4, 4, 4, 'float64', 16, 90): "Failed to compile LTO 'dot_4_4_4_90_16_1_1_1_6_6_6_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (8, 8, 8, 'float32', 16, 80): "Failed to compile LTO 'dot_8_8_8_80_16_1_1_1_5_5_5_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (8, 8, 8, 'float32', 16, 90): "Failed to compile LTO 'dot_8_8_8_90_16_1_1_1_5_5_5_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (8, 8, 8, 'float64', 16, 80): "Failed to compile LTO 'dot_8_8_8_80_16_1_1_1_6_6_6_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (8, 8, 8, 'float64', 16, 90): "Failed to compile LTO 'dot_8_8_8_90_16_1_1_1_6_6_6_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (16, 16, 16, 'float32', 16, 80): "Failed to compile LTO 'dot_16_16_16_80_16_1_1_1_5_5_5_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (16, 16, 16, 'float32', 16, 90): "Failed to compile LTO 'dot_16_16_16_90_16_1_1_1_5_5_5_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (16, 16, 16, 'float64', 16, 80): "Failed to compile LTO 'dot_16_16_16_80_16_1_1_1_6_6_6_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
    (16, 16, 16, 'float64', 16, 90): "Failed to compile LTO 'dot_16_16_16_90_16_1_1_1_6_6_6_0_al0_0_0_sb1'. Set the environment variable LIBMATHDX_LOG_LEVEL=5 and rerun for more details.",
}

COMMANDS: tuple[str, ...] = ('python scripts/mathdx_sweep.py --sizes 4,8,16 --dtypes float32,float64 --block-dims 16,32,64 --archs 80,90 (stopped after 18 keys)', 'python scripts/mathdx_sweep.py --sizes 4,8,16 --dtypes float32 --block-dims 16,32,64 --archs 80,90 --resume', 'python scripts/mathdx_sweep.py --sizes 4,8,16 --dtypes float32,float64 --block-dims 16,32,64 --archs 80,90 --resume')
