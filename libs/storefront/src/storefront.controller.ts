import { Controller, Get, Header, Inject, Logger, OnModuleInit, Param, Query, Res, StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { categoryArt } from './category-art';
import { buildClientBundle, ClientBundle } from './client-bundle';
import type { ShopBundles, ShopItemDetail, ShopList, ShopShoppers } from './shop-api.types';
import { shopHttpError } from './shop-http-status';
import { bundleParams, recommendParams, similarParams } from './shop-query';
import { ShopService } from './shop-service';

export const SHOP_SERVICE = Symbol('SHOP_SERVICE');

/** The page the browser loads for every storefront path; the script routes by path. */
function shell(): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>recmesh demo shop</title>',
    '<link rel="icon" href="data:,">',
    '<link rel="stylesheet" href="/shop/assets/app.css">',
    '<script type="module" src="/shop/assets/app.js"></script>',
    '</head><body><div id="app"><p class="loading">Loading the shop…</p></div></body></html>',
  ].join('\n');
}

/**
 * The demo storefront: the page (/shop, /shop/item/:id, /shop/cart), its
 * script built at start, the category pictures, and the JSON API the page
 * calls (/shop/api/*) in place of gRPC, which a browser cannot speak.
 */
@Controller('shop')
export class StorefrontController implements OnModuleInit {
  private readonly logger = new Logger('Storefront');
  private bundle?: ClientBundle;
  private bundleError?: string;

  constructor(@Inject(SHOP_SERVICE) private readonly shop: ShopService) {}

  async onModuleInit(): Promise<void> {
    try {
      this.bundle = await buildClientBundle();
      this.logger.log(`storefront page built in ${this.bundle.buildMs} ms: /shop`);
    } catch (error) {
      // The demo page must not take the engine down with it: /shop says what went wrong.
      this.bundleError = error instanceof Error ? error.message : String(error);
      this.logger.error(`the storefront page could not be built, /shop answers 503: ${this.bundleError}`);
    }
  }

  @Get()
  home(@Res({ passthrough: true }) res: Response): string {
    return this.page(res);
  }

  @Get('item/:itemId')
  product(@Res({ passthrough: true }) res: Response): string {
    return this.page(res);
  }

  @Get('cart')
  cart(@Res({ passthrough: true }) res: Response): string {
    return this.page(res);
  }

  @Get('assets/:file')
  @Header('cache-control', 'no-cache')
  asset(@Param('file') file: string): StreamableFile {
    const found = this.bundle?.files.get(file);
    if (!found) throw shopHttpError(404, `no asset ${JSON.stringify(file.slice(0, 64))}`);
    return new StreamableFile(found.body, { type: found.contentType });
  }

  @Get('art/:file')
  art(@Param('file') file: string, @Res({ passthrough: true }) res: Response): string {
    const svg = file.endsWith('.svg') ? categoryArt(file.slice(0, -'.svg'.length)) : undefined;
    if (svg === undefined) throw shopHttpError(400, 'a category picture is /shop/art/<leaf category, at most 128 characters>.svg');
    res.type('image/svg+xml').setHeader('cache-control', 'public, max-age=86400');
    return svg;
  }

  @Get('api/shoppers')
  shoppers(): Promise<ShopShoppers> {
    return this.shop.shoppers();
  }

  @Get('api/recommend')
  recommend(@Query() query: Record<string, unknown>): Promise<ShopList> {
    return this.shop.recommend(recommendParams(query));
  }

  @Get('api/similar')
  similar(@Query() query: Record<string, unknown>): Promise<ShopList> {
    return this.shop.similar(similarParams(query));
  }

  @Get('api/bundle')
  bundles(@Query() query: Record<string, unknown>): Promise<ShopBundles> {
    return this.shop.bundle(bundleParams(query));
  }

  @Get('api/items/:itemId')
  @Header('cache-control', 'no-cache')
  item(@Param('itemId') itemId: string): Promise<ShopItemDetail> {
    return this.shop.item(itemId);
  }

  private page(res: Response): string {
    if (!this.bundle) throw shopHttpError(503, `the storefront page could not be built: ${this.bundleError ?? 'still building'}`);
    res.type('html');
    return shell();
  }
}
