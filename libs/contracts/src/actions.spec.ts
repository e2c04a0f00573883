import { Action } from './generated/recmesh/events/v1/clickstream_pb';
import { actionName, parseAction } from './actions';

describe('parseAction', () => {
  it.each([
    ['view', Action.VIEW],
    ['ACTION_PURCHASE', Action.PURCHASE],
    ['Add_To_Cart', Action.ADD_TO_CART],
    [6, Action.RATE],
  ])('maps %p', (input, expected) => {
    expect(parseAction(input)).toBe(expected);
  });

  it.each([['buy'], [0], [7], [1.5], [null], [{}], ['ACTION_UNSPECIFIED']])('rejects %p', (input) => {
    expect(parseAction(input)).toBeUndefined();
  });

  it('round-trips every action through its short name', () => {
    for (const action of [Action.VIEW, Action.CLICK, Action.ADD_TO_CART, Action.REMOVE_FROM_CART, Action.PURCHASE, Action.RATE]) {
      expect(parseAction(actionName(action))).toBe(action);
    }
  });
});
