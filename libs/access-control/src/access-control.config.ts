import { ConfigSchema } from '@recmesh/service-config';

const SCOPE_LIST = /^((storefront|intake|admin|internal)(\s*,\s*(storefront|intake|admin|internal))*)?$/;

/** Who may call the process's APIs, where it listens and with which TLS: every service with a port takes these. */
export const AccessControlConfigSchema = {
  BIND_HOST: {
    type: 'string',
    default: '127.0.0.1',
    pattern: /^[A-Za-z0-9.:-]+$/,
    description: 'address the HTTP and gRPC servers bind to; anything but loopback (127.0.0.1, ::1, localhost) needs RECMESH_API_KEYS_FILE or RECMESH_ALLOW_ANONYMOUS=true',
  },
  RECMESH_API_KEYS_FILE: {
    type: 'string',
    default: '',
    file: true,
    description: 'JSON-lines file of accepted API keys ({"id","hash":"sha256:<hex>","scopes":[...]}; npm run keys -- create); empty = no keys, every call allowed',
  },
  RECMESH_API_KEYS_RELOAD_SECONDS: { type: 'int', default: 5, min: 1, max: 3600, description: 'how often the keys file is checked for changes (rotation without restart)' },
  RECMESH_ANONYMOUS_SCOPES: {
    type: 'string',
    default: '',
    pattern: SCOPE_LIST,
    description: 'scopes a call without a key gets while keys are enforced, comma-separated (storefront, intake, admin, internal); empty = none',
  },
  RECMESH_ALLOW_ANONYMOUS: {
    type: 'bool',
    default: false,
    description: 'allow a non-loopback BIND_HOST while calls without a key are accepted (no keys file, or RECMESH_ANONYMOUS_SCOPES set): only on a trusted network',
  },
  GRPC_TLS_CERT_FILE: { type: 'string', default: '', file: true, description: 'PEM certificate chain of the gRPC servers; empty = plaintext gRPC' },
  GRPC_TLS_KEY_FILE: { type: 'string', default: '', file: true, description: 'PEM private key of GRPC_TLS_CERT_FILE' },
  GRPC_TLS_CLIENT_CA_FILE: { type: 'string', default: '', file: true, description: 'PEM CA bundle: when set, gRPC servers require client certificates signed by it (mTLS)' },
  GRPC_CLIENT_TLS_CA_FILE: { type: 'string', default: '', file: true, description: 'PEM CA bundle the internal gRPC clients (gateway to scorer/bundler/experiments) verify servers with; empty = plaintext' },
  GRPC_CLIENT_TLS_CERT_FILE: { type: 'string', default: '', file: true, description: 'PEM client certificate the internal gRPC clients present (servers with GRPC_TLS_CLIENT_CA_FILE)' },
  GRPC_CLIENT_TLS_KEY_FILE: { type: 'string', default: '', file: true, description: 'PEM private key of GRPC_CLIENT_TLS_CERT_FILE' },
  RECMESH_INTERNAL_API_KEY: {
    type: 'string',
    default: '',
    secret: true,
    description: 'API key (scope internal) the internal gRPC clients send to scorer/bundler/experiments when those enforce keys',
  },
  METRICS_PORT: { type: 'int', default: 0, min: 0, max: 65535, description: 'own HTTP port for /metrics (firewalled apart from the API); 0 = /metrics on the service port' },
} as const satisfies ConfigSchema;

export interface AccessControlConfig {
  readonly BIND_HOST: string;
  readonly RECMESH_API_KEYS_FILE: string;
  readonly RECMESH_API_KEYS_RELOAD_SECONDS: number;
  readonly RECMESH_ANONYMOUS_SCOPES: string;
  readonly RECMESH_ALLOW_ANONYMOUS: boolean;
  readonly GRPC_TLS_CERT_FILE: string;
  readonly GRPC_TLS_KEY_FILE: string;
  readonly GRPC_TLS_CLIENT_CA_FILE: string;
  readonly GRPC_CLIENT_TLS_CA_FILE: string;
  readonly GRPC_CLIENT_TLS_CERT_FILE: string;
  readonly GRPC_CLIENT_TLS_KEY_FILE: string;
  readonly RECMESH_INTERNAL_API_KEY: string;
  readonly METRICS_PORT: number;
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
