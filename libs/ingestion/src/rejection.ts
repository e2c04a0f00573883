import { DeadLetterReason } from '@recmesh/contracts';

/** Why a raw message was refused: a machine-readable reason and a human detail. */
export class Rejection {
  constructor(
    readonly reason: DeadLetterReason,
    readonly detail: string,
  ) {}

  /** Stable snake_case name for headers and metric labels, e.g. "schema_violation". */
  get code(): string {
    return DeadLetterReason[this.reason].toLowerCase();
  }
}

export const reject = {
  undecodable: (detail: string) => new Rejection(DeadLetterReason.UNDECODABLE, detail),
  schema: (detail: string) => new Rejection(DeadLetterReason.SCHEMA_VIOLATION, detail),
  missing: (field: string) => new Rejection(DeadLetterReason.MISSING_FIELD, `${field} is required`),
  range: (detail: string) => new Rejection(DeadLetterReason.OUT_OF_RANGE, detail),
  timestamp: (detail: string) => new Rejection(DeadLetterReason.TIMESTAMP_OUT_OF_RANGE, detail),
  oversize: (detail: string) => new Rejection(DeadLetterReason.OVERSIZE, detail),
};
