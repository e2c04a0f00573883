import * as grpc from '@grpc/grpc-js';

/** Binds host:port (port 0 = any free port) with the given credentials (default plaintext) and resolves with the bound port. */
export function bindGrpcServer(server: grpc.Server, port: number, host = '0.0.0.0', credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
  // An IPv6 literal needs brackets before the port.
  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise<number>((resolve, reject) => server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
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
