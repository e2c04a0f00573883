import { Action } from './generated/recmesh/events/v1/clickstream_pb';

/** Short action names used in JSON payloads, datasets and metrics labels. */
export const ActionNames: Record<Exclude<Action, Action.UNSPECIFIED>, string> = {
  [Action.VIEW]: 'view',
  [Action.CLICK]: 'click',
  [Action.ADD_TO_CART]: 'add_to_cart',
  [Action.REMOVE_FROM_CART]: 'remove_from_cart',
  [Action.PURCHASE]: 'purchase',
  [Action.RATE]: 'rate',
};

const byShortName = new Map<string, Action>(
  Object.entries(ActionNames).map(([value, name]) => [name, Number(value) as Action]),
);

/** Accepts "view", "ACTION_VIEW" or the enum number; undefined when unknown. */
export function parseAction(value: unknown): Action | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value in ActionNames ? (value as Action) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return byShortName.get(lower.startsWith('action_') ? lower.slice('action_'.length) : lower);
}

export function actionName(action: Action): string {
  return action === Action.UNSPECIFIED ? 'unspecified' : ActionNames[action];
}
