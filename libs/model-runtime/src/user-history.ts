/** One interaction of a user's history, oldest first in the history array. */
export interface UserEvent {
  itemId: string;
  /** An action name from the manifest's action_types (e.g. "view"), or its id (1-based). */
  action: string | number;
}

export interface SequenceBatch {
  batchSize: number;
  /** Row-major [batchSize, maxSeqLen] item rows, left-padded with 0, most recent last. */
  itemSeq: BigInt64Array;
  /** Same layout: action ids (0 = padding). */
  actionSeq: BigInt64Array;
  /** Events skipped (unknown item or action) while filling the windows. */
  skippedEvents: number;
}

/** Maps action names ("view", …) and numeric ids to the model's action ids (1-based). */
export class ActionVocabulary {
  private readonly idByName: Map<string, number>;

  constructor(readonly actionTypes: readonly string[]) {
    this.idByName = new Map(actionTypes.map((name, i) => [name, i + 1]));
  }

  idOf(action: string | number): number | undefined {
    if (typeof action === 'number') return Number.isInteger(action) && action >= 1 && action <= this.actionTypes.length ? action : undefined;
    return this.idByName.get(action);
  }
}

/**
 * Builds the user encoder's inputs: unknown items/actions are skipped (the model has no embedding
 * for them), the most recent maxSeqLen known events are kept, and sequences are left-padded so
 * the last position is always the latest event, as in training.
 */
export function buildSequenceBatch(
  histories: ReadonlyArray<ReadonlyArray<UserEvent>>,
  maxSeqLen: number,
  rowOf: (itemId: string) => number | undefined,
  actions: ActionVocabulary,
): SequenceBatch {
  const batchSize = histories.length;
  const itemSeq = new BigInt64Array(batchSize * maxSeqLen);
  const actionSeq = new BigInt64Array(batchSize * maxSeqLen);
  let skippedEvents = 0;
  histories.forEach((history, b) => {
    // Walk from the most recent event backwards, filling from the right, until the window is full.
    let position = maxSeqLen - 1;
    for (let i = history.length - 1; i >= 0 && position >= 0; i--) {
      const row = rowOf(history[i].itemId);
      const action = actions.idOf(history[i].action);
      if (row === undefined || action === undefined) {
        skippedEvents++;
        continue;
      }
      itemSeq[b * maxSeqLen + position] = BigInt(row);
      actionSeq[b * maxSeqLen + position] = BigInt(action);
      position--;
    }
  });
  return { batchSize, itemSeq, actionSeq, skippedEvents };
}
