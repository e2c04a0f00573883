import * as grpc from '@grpc/grpc-js';

/** Binds host:port (port 0 = any free port) and resolves with the bound port. */
export function bindGrpcServer(server: grpc.Server, port: number, host = '0.0.0.0'): Promise<number> {
  return new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
}

/** Lets calls in flight finish for up to graceMs, then closes the rest; resolves true when all finished in time. */
export function shutdownGrpcServer(server: grpc.Server, graceMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve(false);
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
