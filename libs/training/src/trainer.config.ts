import { CommonConfigSchema, ConfigSchema } from '@recmesh/service-config';
import { CanaryConfigSchema } from './canary';
import { PromotionConfigSchema } from './promotion-gate';

export const TrainerConfigSchema = {
  ...CommonConfigSchema,
  ...PromotionConfigSchema,
  ...CanaryConfigSchema,
  TRAINER_PORT: { type: 'int', default: 3007, min: 1, max: 65535, description: 'HTTP port: /health, /ready, /metrics and the admin calls' },
  TRAINER_INTERVAL_MINUTES: { type: 'int', default: 60, min: 1, description: 'how often the schedule checks for enough new data' },
  TRAINER_MIN_NEW_EVENTS: { type: 'int', default: 10_000, min: 1, description: 'events stored since the last training that make a new one worth it' },
  TRAINER_WINDOW_DAYS: { type: 'int', default: 90, min: 1, description: 'days of events exported for training and the holdout' },
  TRAINER_HOLDOUT_PERCENT: { type: 'int', default: 10, min: 1, max: 50, description: "share of the window's newest events held out to compare candidate and serving version" },
  TRAINER_BUDGET_MINUTES: { type: 'int', default: 60, min: 1, description: 'wall-clock budget of training plus export; past it the run fails and nothing changes' },
  TRAINER_BUNDLE_MIN_ORDERS: { type: 'int', default: 100, min: 1, description: 'orders of two or more items in the window that make a bundle-model refit worth it' },
  TRAINER_BUNDLE_ORDER_GAP_MINUTES: { type: 'int', default: 30, min: 1, description: "one shopper's purchases no more than this apart count as one order (the export has no session id)" },
  TRAINER_WORK_DIR: { type: 'string', default: '.data/trainer', description: 'scratch space for exports and checkpoints (cleaned after each run)' },
  TRAINER_MODELS_DIR: { type: 'string', default: '.data/models', description: 'where candidate model folders go; must be readable by every scorer and bundler' },
  TRAINER_PYTHON: { type: 'string', default: 'tools/model/.venv/bin/python', description: "tools/model's venv interpreter (tools/model/setup-venv.sh builds it)" },
  TRAINER_ARGS: { type: 'string', default: '', description: 'extra trainer flags, space-separated, e.g. "--epochs 20 --hidden 64"' },
  TRAINER_TEXT_ENCODER_DIR: { type: 'string', default: '', description: 'exported sentence encoder bundled with text models; empty = none' },
} as const satisfies ConfigSchema;
