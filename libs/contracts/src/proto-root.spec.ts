import * as fs from 'fs';
import * as path from 'path';
import { PROTO_ROOT } from './proto-root';

describe('PROTO_ROOT', () => {
  it('is the repository proto/ directory, health checking included', () => {
    expect(fs.existsSync(path.join(PROTO_ROOT, 'buf.yaml'))).toBe(true);
    expect(fs.existsSync(path.join(PROTO_ROOT, 'recmesh/scorer/v1/scorer.proto'))).toBe(true);
    expect(fs.existsSync(path.join(PROTO_ROOT, 'grpc/health/v1/health.proto'))).toBe(true);
  });
});
