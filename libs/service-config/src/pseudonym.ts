import { createHmac } from 'crypto';
import { ConfigSchema } from './env-config';

export const PseudonymConfigSchema = {
  RECMESH_PSEUDONYM_KEY: {
    type: 'string',
    default: '',
    pattern: /^(|.{32,})$/,
    secret: true,
    description:
      'key (at least 32 characters) of the keyed hash (HMAC-SHA256) that replaces user and session ids at ingest, in the gateway and in erasure requests, so raw ids reach no downstream topic or table; the same in every service; empty = ids kept as sent',
  },
} as const satisfies ConfigSchema;

/** A user or session id as recmesh keeps it. */
export type Pseudonymize = (id: string) => string;

/** The marker of a pseudonym: 'ps_' and 32 base64url characters (192 bits of the HMAC). */
export const PSEUDONYM_PATTERN = /^ps_[A-Za-z0-9_-]{32}$/;

/**
 * Keyed pseudonyms: the same id gives the same pseudonym under one key, and
 * nobody without the key can compute or reverse one. Empty ids stay empty
 * (anonymous). Without a key, ids are kept as sent.
 */
export function pseudonymizer(key: string): Pseudonymize {
  if (key === '') return (id) => id;
  return (id) => (id === '' ? '' : `ps_${createHmac('sha256', key).update(id, 'utf8').digest('base64url').slice(0, 32)}`);
}
