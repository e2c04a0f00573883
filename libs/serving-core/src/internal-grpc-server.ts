import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import type { DescService } from '@bufbuild/protobuf';
import { addUnaryService, bindGrpcServer, shutdownGrpcServer, UnaryHandlers } from '@recmesh/contracts';
import { deadlineOf } from './deadline';
import { grpcFailure } from './serving-error';

/**
 * The internal gRPC face of a serving process (scorer, bundler): generated
 * services on plain grpc-js, malformed requests answered INVALID_ARGUMENT,
 * failures mapped by the serving vocabulary.
 */
export class InternalGrpcServer {
  private readonly logger: Logger;
  private readonly server = new grpc.Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
  private boundPort?: number;

  constructor(private readonly name: string) {
    this.logger = new Logger(`${name}-grpc`);
  }

  add<S extends DescService>(service: S, handlers: UnaryHandlers<S>): this {
    addUnaryService(this.server, service, handlers, (error, method, call) =>
      grpcFailure(error, this.logger, { method, internalMessage: `${this.name} failed`, deadlineMs: deadlineOf(call) }),
    );
    return this;
  }

  /** Listens on host:port (port 0 = any free port) and resolves with the bound port. */
  async start(port: number, host = '0.0.0.0'): Promise<number> {
    this.boundPort = await bindGrpcServer(this.server, port, host);
    this.logger.log(`internal gRPC listening on :${this.boundPort}`);
    return this.boundPort;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  /** Lets calls in flight finish for up to graceMs, then closes the rest. */
  async stop(graceMs = 5000): Promise<void> {
    if (!(await shutdownGrpcServer(this.server, graceMs))) this.logger.warn(`calls still running after ${graceMs} ms were closed`);
  }

}
