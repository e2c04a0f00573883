import { runSkeletonService } from '@recmesh/service-runtime';

// Skeleton until its issue lands: health, readiness and metrics only.
runSkeletonService('feature-builder', 'FEATURE_BUILDER_PORT', 3002);
