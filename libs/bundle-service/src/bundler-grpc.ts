import { create } from '@bufbuild/protobuf';
import { BundleRequestSchema, BundlerService } from '@recmesh/contracts';
import { bundleAnswerToWire, deadlineOf, InternalGrpcServer, validateBundleRequest } from '@recmesh/serving-core';
import { BundleRecommender } from './bundle-recommender';

/** recmesh.bundler.v1.BundlerService over the recommender, for the gateway (and checked like the gateway's own requests). */
export function bundlerGrpcServer(bundler: BundleRecommender): InternalGrpcServer {
  return new InternalGrpcServer('bundler').add(BundlerService, {
    composeBundles: async (request, call) =>
      bundleAnswerToWire(await bundler.compose({ ...validateBundleRequest(request.bundle ?? create(BundleRequestSchema)), deadlineMs: deadlineOf(call) })),
  });
}
