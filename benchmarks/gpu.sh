#!/usr/bin/env bash
# The COBA benchmark's GPU checks, in one call on a machine with a CUDA GPU and JAX:
# the course network's loop and whole process on the GPU (both precisions), and the batched
# sweep (64 and 256 networks in one job against one by one). REPEATS (default 1) sets the best-of count. Results under $OUT (default benchmarks/out).
set -o pipefail
OUT=${OUT:-$PWD/benchmarks/out}
mkdir -p "$OUT"
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
PYTHON=${PYTHON:-python3}
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; $PYTHON -c "import jax; print('jax', jax.__version__, jax.devices())"; } | tee "$OUT/gpu.txt"
cd benchmarks || exit 1
JAX_PLATFORMS=cuda $PYTHON coba.py --sweep --networks 64 --out "$OUT/sweep_64" 2>&1 | tee "$OUT/sweep_64.txt"
$PYTHON coba.py --platform cuda --tool neurosweep --tool neurosweep_warm_cache --variant course --repeats "${REPEATS:-1}" --out "$OUT/cuda" 2>&1 | tee "$OUT/coba_cuda.txt"
JAX_PLATFORMS=cuda $PYTHON coba.py --sweep --networks 256 --out "$OUT/sweep_256" 2>&1 | tee "$OUT/sweep_256.txt"
