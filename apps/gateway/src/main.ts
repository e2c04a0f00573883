import { runSkeletonService } from '@recmesh/service-runtime';

// Skeleton until its issue lands: health, readiness and metrics only.
runSkeletonService('gateway', 'GATEWAY_HTTP_PORT', 3006);
