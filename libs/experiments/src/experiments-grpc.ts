import { create } from '@bufbuild/protobuf';
import { ExperimentSchema, ExperimentService, ListExperimentsResponseSchema } from '@recmesh/contracts';
import { InternalGrpcServer } from '@recmesh/serving-core';
import { ExperimentAdmin } from './experiment-admin';

/** The admin gRPC face: recmesh.experiments.v1.ExperimentService. */
export function experimentsGrpcServer(admin: ExperimentAdmin): InternalGrpcServer {
  return new InternalGrpcServer('experiments').add(ExperimentService, {
    createExperiment: (request) => admin.create(request.experiment ?? create(ExperimentSchema)),
    stopExperiment: (request) => admin.stop(request.name, request.reason),
    listExperiments: async (request) => create(ListExperimentsResponseSchema, { experiments: await admin.list(request.includeStopped) }),
    getExperimentResults: (request) => admin.results(request.name, request.alpha),
  });
}
