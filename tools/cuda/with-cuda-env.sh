#!/bin/sh
# Runs a command with the environment written by `npm run cuda:install` (when there is one):
# LD_LIBRARY_PATH must name the NVIDIA libraries before the process starts, because the dynamic
# linker reads it only then, not when onnxruntime later loads its CUDA provider.
#   sh tools/cuda/with-cuda-env.sh node tools/run-ts.js apps/standalone/src/main.ts
env_file="${RECMESH_CACHE:-$HOME/.cache/recmesh}/cuda/env.sh"
# shellcheck disable=SC1090
if [ -f "$env_file" ]; then . "$env_file"; fi
exec "$@"
