import { runSkeletonService } from '@recmesh/service-runtime';

// Skeleton until its issue lands: health, readiness and metrics only.
runSkeletonService('feedback', 'FEEDBACK_PORT', 3005);
