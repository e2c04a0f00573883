import * as path from 'path';

/** The repository root: default paths and the paths in log lines are relative to it. */
export const ROOT = path.resolve(__dirname, '../../..');

export const log = (message: string) => console.log(`[eval:bundles ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Seconds since a Date.now() reading. */
export const seconds = (since: number) => (Date.now() - since) / 1000;
