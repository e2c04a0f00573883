import { trainFlagsFromReport, trainSummaryFromLog } from './python-report';

describe('Python report helpers', () => {
  it('turns report params into train flags, capping the budget and leaving out what only describes the run', () => {
    const params = { hidden: 128, no_text: false, no_side: true, valid_users: null, max_minutes: 10, loss: 'full softmax CE', uses_text: true };
    expect(trainFlagsFromReport(params)).toEqual(['--hidden', '128', '--no-side', '--max-minutes', '10']);
    expect(trainFlagsFromReport(params, 4)).toEqual(['--hidden', '128', '--no-side', '--max-minutes', '4']);
    expect(trainFlagsFromReport({ hidden: 64, max_minutes: null })).toEqual(['--hidden', '64']);
    expect(trainFlagsFromReport({ hidden: 64, max_minutes: null }, 4)).toEqual(['--hidden', '64', '--max-minutes', '4']);
  });

  it('finds the last JSON summary in the trainer log, or says there is none', () => {
    const lines = ['train: epoch 1 loss 3.2', 'train: {', 'train:   "best_epoch": 4,', 'train:   "test": {"ndcg@10": 0.08}', 'train: }', 'export: done'];
    expect(trainSummaryFromLog(lines)).toEqual({ best_epoch: 4, test: { 'ndcg@10': 0.08 } });
    expect(() => trainSummaryFromLog(['train: epoch 1'])).toThrow(/no JSON summary/);
  });
});
