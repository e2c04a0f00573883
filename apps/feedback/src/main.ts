import { AccessControlConfigSchema, AccessControlModule, accessBootstrap, openAccessControl } from '@recmesh/access-control';
import { FeedbackConfigSchema, FeedbackModule } from '@recmesh/attribution';
import { ExperimentsConfigSchema, ExperimentsModule } from '@recmesh/experiments';
import { createMetricsRegistry } from '@recmesh/observability';
import { PrivacyConfigSchema, PrivacyModule } from '@recmesh/privacy';
import { loadConfig } from '@recmesh/service-config';
import { openInfrastructure, runService, serviceRootModule } from '@recmesh/service-runtime';

void runService({
  service: 'feedback',
  bootstrap: async () => {
    const config = loadConfig({ ...FeedbackConfigSchema, ...ExperimentsConfigSchema, ...PrivacyConfigSchema, ...AccessControlConfigSchema });
    const access = openAccessControl(config);
    const registry = createMetricsRegistry('feedback');
    const infra = await openInfrastructure(config, 'recmesh-feedback');
    return {
      module: serviceRootModule({ infra, registry }, AccessControlModule.forRoot(access), FeedbackModule.register(config), ExperimentsModule.register(config), PrivacyModule.register(config)),
      port: config.FEEDBACK_PORT,
      logLevel: config.LOG_LEVEL,
      ...accessBootstrap(access, registry),
    };
  },
});
