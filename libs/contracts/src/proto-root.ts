import * as path from 'path';

/**
 * Absolute path of the repository's proto/ (the schemas everything is
 * generated from), for what still needs .proto files on disk. The only place
 * that knows where proto/ is.
 */
export const PROTO_ROOT = path.resolve(__dirname, '../../../proto');
