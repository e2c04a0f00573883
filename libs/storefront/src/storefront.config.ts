import { ConfigSchema } from '@recmesh/service-config';

export const StorefrontConfigSchema = {
  STOREFRONT_SHOPPERS: {
    type: 'list',
    // Shoppers of the demo shop (RECMESH_DEMO_SEED) with different tastes: phones and earbuds, hair care, laptops, running, coffee.
    default: ['user-00001', 'user-00027', 'user-00018', 'user-00022', 'user-00023'],
    description: "user ids the demo storefront's shopper switcher offers (next to a new visitor)",
  },
} as const satisfies ConfigSchema;
