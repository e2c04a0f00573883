import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import type { DescService } from '@bufbuild/protobuf';
import { addUnaryService, bindGrpcServer, GrpcServerSecurity, grpcServerOptions, PLAINTEXT_SERVER, shutdownGrpcServer, UnaryHandlers } from '@recmesh/contracts';
import { deadlineOf } from './deadline';
import { grpcFailure } from './serving-error';

/**
 * The internal gRPC face of a serving process (scorer, bundler): generated
 * services on plain grpc-js, malformed requests answered INVALID_ARGUMENT,
 * failures mapped by the serving vocabulary.
 */
export class InternalGrpcServer {
  private readonly logger: Logger;
  // Built at start: its interceptors (the API-key check) come with the process's security.
  private server?: grpc.Server;
  private readonly services: ((server: grpc.Server) => void)[] = [];
  private boundPort?: number;

  constructor(private readonly name: string) {
    this.logger = new Logger(`${name}-grpc`);
  }

  add<S extends DescService>(service: S, handlers: UnaryHandlers<S>): this {
    this.services.push((server) =>
      addUnaryService(server, service, handlers, (error, method, call) =>
        grpcFailure(error, this.logger, { method, internalMessage: `${this.name} failed`, deadlineMs: deadlineOf(call) }),
      ),
    );
    return this;
  }

  /** Listens on port (0 = any free port) with the process's security, or plaintext on a host, and resolves with the bound port. */
  async start(port: number, where: string | GrpcServerSecurity = PLAINTEXT_SERVER): Promise<number> {
    const security = typeof where === 'string' ? { ...PLAINTEXT_SERVER, host: where } : where;
    const server = new grpc.Server(grpcServerOptions(security, { 'grpc.max_receive_message_length': 1024 * 1024 }));
    for (const add of this.services) add(server);
    this.server = server;
    this.boundPort = await bindGrpcServer(server, port, security.host, security.credentials);
    this.logger.log(`internal gRPC listening on ${security.host}:${this.boundPort}`);
    return this.boundPort;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  /** Lets calls in flight finish for up to graceMs, then closes the rest. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.server && !(await shutdownGrpcServer(this.server, graceMs))) this.logger.warn(`calls still running after ${graceMs} ms were closed`);
  }

}
