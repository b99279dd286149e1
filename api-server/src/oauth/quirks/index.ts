import { figma } from './figma';
import { github } from './github';
import { notion } from './notion';
import type { Quirk } from './quirk';
import { shopify } from './shopify';
import { slack } from './slack';

export type { Fetch, Quirk, RevokeContext } from './quirk';

/** The quirks the catalog may name (providers/schema.json lists the same names). */
export const quirks: Readonly<Record<string, Quirk>> = { slack, github, notion, shopify, figma };

export function quirksOf(names: readonly string[]): Quirk[] {
  return names.map((name) => {
    const quirk = quirks[name];
    if (!quirk) throw new TypeError(`unknown provider quirk "${name}"`);
    return quirk;
  });
}
