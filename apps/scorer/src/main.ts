import { runSkeletonService } from '@recmesh/service-runtime';

// Skeleton until its issue lands: health, readiness and metrics only.
runSkeletonService('scorer', 'SCORER_PORT', 3003);
