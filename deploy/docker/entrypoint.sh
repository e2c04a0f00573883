#!/bin/sh
# Entrypoint of the recmesh image (under tini): runs the app $SERVICE names,
# node dist/apps/$SERVICE/main.js, as the container's main process, so SIGTERM
# reaches it and it drains before exiting.
set -eu
case "${SERVICE:-}" in
  ingest|feature-builder|scorer|bundler|gateway|feedback|trainer) ;;
  *)
    echo "recmesh: set SERVICE to one of ingest, feature-builder, scorer, bundler, gateway, feedback, trainer (it is '${SERVICE:-}')" >&2
    exit 64 ;;
esac
if [ "$SERVICE" = trainer ] && [ ! -x "${TRAINER_PYTHON:-tools/model/.venv/bin/python}" ]; then
  echo "recmesh: warning: ${TRAINER_PYTHON:-tools/model/.venv/bin/python} is missing: retraining will fail (build the image with --build-arg SERVICE=trainer)" >&2
fi
# Images built with --build-arg CUDA=1 hold onnxruntime's CUDA provider and the NVIDIA libraries
# (tools/cuda/install-cuda-provider.sh): their env file puts those on LD_LIBRARY_PATH, which the
# dynamic linker reads only at process start.
cuda_env="${RECMESH_CACHE:-/opt/recmesh/cache}/cuda/env.sh"
# shellcheck disable=SC1090
if [ -f "$cuda_env" ]; then . "$cuda_env"; fi
exec node "dist/apps/$SERVICE/main.js" "$@"
