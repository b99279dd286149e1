// A tenant's look on the pages served to its end users (connect pages, wallet): display
// name, logo and colour. Absent → the defaults; read on every page, so cached briefly.
import type { PutBrandingRequest, TenantBranding } from '@alter-vault/sdk';
import type { Branding } from '../http/html-page';
import { DEFAULT_BRANDING } from '../http/html-page';
import type { Executor } from '../store/executor';

const CACHE_MS = 5_000;

export class BrandingService {
  private readonly cache = new Map<string, { at: number; value: Promise<Branding> }>();

  constructor(private readonly db: Executor) {}

  /** The branding pages use (the defaults for a tenant that set none). */
  async forPages(tenantId: string): Promise<Branding> {
    const now = Date.now();
    const hit = this.cache.get(tenantId);
    if (hit && now - hit.at < CACHE_MS) return hit.value;
    const value = this.read(tenantId).then((b) => (b ? { displayName: b.displayName, logoUrl: b.logoUrl, color: b.color } : DEFAULT_BRANDING));
    value.catch(() => this.cache.delete(tenantId));
    this.cache.set(tenantId, { at: now, value });
    return value;
  }

  async get(tenantId: string): Promise<TenantBranding> {
    return (await this.read(tenantId)) ?? { ...DEFAULT_BRANDING, updatedAt: null };
  }

  async put(tenantId: string, body: PutBrandingRequest, now: Date): Promise<TenantBranding> {
    const fields = { display_name: body.displayName, logo_url: body.logoUrl ?? null, color: body.color?.toLowerCase() ?? null, updated_at: now };
    await this.db
      .insertInto('tenant_branding')
      .values({ tenant_id: tenantId, ...fields })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(fields))
      .execute();
    this.cache.delete(tenantId);
    return (await this.read(tenantId))!;
  }

  private async read(tenantId: string): Promise<TenantBranding | undefined> {
    const row = await this.db.selectFrom('tenant_branding').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
    return row && { displayName: row.display_name, logoUrl: row.logo_url, color: row.color, updatedAt: row.updated_at.toISOString() };
  }
}
