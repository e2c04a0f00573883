import { runSkeletonService } from '@recmesh/service-runtime';

// Skeleton until its issue lands: health, readiness and metrics only.
runSkeletonService('bundler', 'BUNDLER_PORT', 3004);
