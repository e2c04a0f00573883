import { PrivacyService } from '@recmesh/contracts';
import { InternalGrpcServer } from '@recmesh/serving-core';
import { UserEraser } from './user-eraser';

/** The admin gRPC face: recmesh.privacy.v1.PrivacyService. */
export function privacyGrpcServer(eraser: UserEraser): InternalGrpcServer {
  return new InternalGrpcServer('privacy').add(PrivacyService, {
    eraseUser: (request) => eraser.erase(request.userId),
  });
}
