import { Logger } from '@nestjs/common';
import { TopicNames } from '@recmesh/contracts';
import { MessageBus } from '@recmesh/messaging';
import { generateSyntheticShop } from '@recmesh/synthetic-shop';

/** Publishes the synthetic demo shop through the raw topics, as a shop would. */
export async function seedDemoShop(bus: MessageBus, topics: TopicNames, users: number): Promise<void> {
  const logger = new Logger('DemoShop');
  const now = Date.now();
  const shop = generateSyntheticShop({ seed: 42, items: 2000, users, startMs: now - 3 * 86_400_000 });
  // Compress the shop's history into the last three days so timestamps pass validation.
  const first = shop.events[0]?.tsMs ?? now;
  const span = Math.max(1, (shop.events[shop.events.length - 1]?.tsMs ?? now) - first);
  const window = 3 * 86_400_000;
  await bus.publish(
    topics.catalogRaw,
    shop.items.map((item, i) => ({
      key: item.itemId,
      value: JSON.stringify({
        event_id: `demo-catalog-${i}`,
        ts_ms: now - window - 60_000,
        upsert: {
          item_id: item.itemId, title: item.title, description: item.description, category_path: item.categoryPath,
          brand: item.brand, price: item.price, currency: item.currency, in_stock: item.inStock, attributes: item.attributes,
        },
      }),
    })),
  );
  await bus.publish(
    topics.clickstreamRaw,
    shop.events.map((e) => ({
      key: e.userId,
      value: JSON.stringify({
        event_id: `demo-${e.eventId}`, user_id: e.userId, session_id: e.sessionId, item_id: e.itemId, action: e.action,
        quantity: e.quantity, price: e.price, currency: 'EUR', rating: e.rating,
        ts_ms: now - window + Math.floor(((e.tsMs - first) / span) * (window - 60_000)),
      }),
    })),
  );
  logger.log(`published the demo shop: ${shop.items.length} catalog items, ${shop.events.length} clickstream events from ${users} shoppers`);
}
