import { DynamicModule, Module } from '@nestjs/common';
import { GatewayLifecycle } from '@recmesh/gateway-api';
import { CatalogStore, FeatureStore } from '@recmesh/persistence';
import { Config } from '@recmesh/service-config';
import { Infrastructure, INFRASTRUCTURE } from '@recmesh/service-runtime';
import { ShopService } from './shop-service';
import { SHOP_SERVICE, StorefrontController } from './storefront.controller';
import { StorefrontConfigSchema } from './storefront.config';

export type StorefrontConfig = Config<typeof StorefrontConfigSchema>;

/**
 * The demo storefront on the process's HTTP port: /shop and its JSON API.
 * `gateway` is the process's GatewayModule (the same module object the root
 * imports): the page is served by that gateway in process, so its lists get
 * rec_ids, are published as served and are served as the shopper's
 * experiment arm, exactly as gRPC answers are. Needs a store (catalog, user
 * sequences): the all-in-one process.
 */
@Module({})
export class StorefrontModule {
  static register(config: StorefrontConfig, gateway: DynamicModule): DynamicModule {
    return {
      module: StorefrontModule,
      imports: [gateway],
      controllers: [StorefrontController],
      providers: [
        {
          provide: SHOP_SERVICE,
          useFactory: (infra: Infrastructure, lifecycle: GatewayLifecycle) =>
            new ShopService({
              gateway: lifecycle.server,
              catalog: new CatalogStore(infra.dataSource),
              history: new FeatureStore(infra.dataSource),
              shoppers: config.STOREFRONT_SHOPPERS,
            }),
          inject: [INFRASTRUCTURE, GatewayLifecycle],
        },
      ],
    };
  }
}
