import { ScorerService } from '@recmesh/contracts';
import { deadlineOf, InternalGrpcServer, recommendationsToWire, validateScoreRequest, validateScoreSimilarRequest } from '@recmesh/serving-core';
import { RecommendationScorer } from './recommendation-scorer';

/** recmesh.scorer.v1.ScorerService over the scorer, for the gateway (and checked like the gateway's own requests). */
export function scorerGrpcServer(scorer: RecommendationScorer): InternalGrpcServer {
  return new InternalGrpcServer('scorer').add(ScorerService, {
    score: async (request, call) => recommendationsToWire(await scorer.recommend({ ...validateScoreRequest(request), deadlineMs: deadlineOf(call) })),
    scoreSimilar: async (request, call) => recommendationsToWire(await scorer.similarItems({ ...validateScoreSimilarRequest(request), deadlineMs: deadlineOf(call) })),
  });
}
