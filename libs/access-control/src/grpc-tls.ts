import { readFileSync } from 'fs';
import { createSecureContext } from 'tls';
import * as grpc from '@grpc/grpc-js';
import { AccessControlConfig } from './access-control.config';

/** Reads a PEM file named by `setting`, or records why not (the problem names the setting, never the contents). */
function readPem(setting: string, file: string, problems: string[]): Buffer | undefined {
  try {
    const pem = readFileSync(file);
    if (!pem.toString('utf8').includes('-----BEGIN ')) {
      problems.push(`${setting}=${file} is not a PEM file`);
      return undefined;
    }
    return pem;
  } catch (error) {
    problems.push(`${setting}=${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    return undefined;
  }
}

/** A certificate and key that do not belong together fail here, at start-up, not at the first handshake. */
function checkPair(certSetting: string, cert: Buffer, key: Buffer, problems: string[]): void {
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    problems.push(`${certSetting} and its key do not form a usable pair: ${(error as Error).message}`);
  }
}

/** Server credentials: plaintext, TLS (GRPC_TLS_CERT_FILE + KEY), or mTLS (+ GRPC_TLS_CLIENT_CA_FILE). Problems are appended. */
export function grpcServerCredentials(config: AccessControlConfig, problems: string[]): grpc.ServerCredentials {
  const { GRPC_TLS_CERT_FILE: certFile, GRPC_TLS_KEY_FILE: keyFile, GRPC_TLS_CLIENT_CA_FILE: caFile } = config;
  if (!certFile && !keyFile) {
    if (caFile) problems.push('GRPC_TLS_CLIENT_CA_FILE (mTLS) needs GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE: client certificates are only checked over TLS');
    return grpc.ServerCredentials.createInsecure();
  }
  if (!certFile || !keyFile) {
    problems.push(`GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE go together (${certFile ? 'GRPC_TLS_KEY_FILE' : 'GRPC_TLS_CERT_FILE'} is empty)`);
    return grpc.ServerCredentials.createInsecure();
  }
  const cert = readPem('GRPC_TLS_CERT_FILE', certFile, problems);
  const key = readPem('GRPC_TLS_KEY_FILE', keyFile, problems);
  const ca = caFile ? readPem('GRPC_TLS_CLIENT_CA_FILE', caFile, problems) : undefined;
  if (!cert || !key || (caFile && !ca)) return grpc.ServerCredentials.createInsecure();
  checkPair('GRPC_TLS_CERT_FILE', cert, key, problems);
  return grpc.ServerCredentials.createSsl(ca ?? null, [{ cert_chain: cert, private_key: key }], ca !== undefined);
}

/** Credentials of the internal gRPC clients: plaintext, TLS verified with GRPC_CLIENT_TLS_CA_FILE, plus a client certificate for mTLS. */
export function grpcClientCredentials(config: AccessControlConfig, problems: string[]): grpc.ChannelCredentials {
  const { GRPC_CLIENT_TLS_CA_FILE: caFile, GRPC_CLIENT_TLS_CERT_FILE: certFile, GRPC_CLIENT_TLS_KEY_FILE: keyFile } = config;
  if (!caFile) {
    if (certFile || keyFile) problems.push('GRPC_CLIENT_TLS_CERT_FILE/GRPC_CLIENT_TLS_KEY_FILE need GRPC_CLIENT_TLS_CA_FILE (client certificates are only sent over TLS)');
    return grpc.credentials.createInsecure();
  }
  if (!certFile !== !keyFile) {
    problems.push(`GRPC_CLIENT_TLS_CERT_FILE and GRPC_CLIENT_TLS_KEY_FILE go together (${certFile ? 'GRPC_CLIENT_TLS_KEY_FILE' : 'GRPC_CLIENT_TLS_CERT_FILE'} is empty)`);
    return grpc.credentials.createInsecure();
  }
  const ca = readPem('GRPC_CLIENT_TLS_CA_FILE', caFile, problems);
  const cert = certFile ? readPem('GRPC_CLIENT_TLS_CERT_FILE', certFile, problems) : undefined;
  const key = keyFile ? readPem('GRPC_CLIENT_TLS_KEY_FILE', keyFile, problems) : undefined;
  if (!ca || (certFile && (!cert || !key))) return grpc.credentials.createInsecure();
  if (cert && key) checkPair('GRPC_CLIENT_TLS_CERT_FILE', cert, key, problems);
  return grpc.credentials.createSsl(ca, key ?? null, cert ?? null);
}
