import * as grpc from '@grpc/grpc-js';

/** Ready once the peer was reached; an idle channel after that still counts (gRPC idles healthy channels). */
export class GrpcChannelReadiness {
  private reached = false;

  constructor(private readonly client: { getChannel(): { getConnectivityState(tryToConnect: boolean): grpc.connectivityState } }) {}

  isReady(): boolean {
    const state = this.client.getChannel().getConnectivityState(true);
    if (state === grpc.connectivityState.READY) this.reached = true;
    if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) this.reached = false;
    return state === grpc.connectivityState.READY || (state === grpc.connectivityState.IDLE && this.reached);
  }
}
