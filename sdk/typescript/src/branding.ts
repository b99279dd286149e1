// The tenant's look on the pages the vault serves to end users (the hosted connect pages and
// the wallet): PUT/GET /v1/tenant/branding.
import { z } from 'zod';

const httpsLogo = z
  .string()
  .max(2048)
  .regex(/^https:\/\/[^\s;,']+$/, 'expected an https URL without spaces, commas, semicolons or quotes');
const dataLogo = z
  .string()
  .max(65_536)
  .regex(/^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/, 'expected a base64 data:image URL (png, jpeg, gif, webp or svg+xml)');

export const putBrandingRequest = z.strictObject({
  /** Shown in the header of every page and in the page title. */
  displayName: z.string().trim().min(1).max(80),
  /** An https URL, or a data:image URL of at most 64 KiB; null removes it. */
  logoUrl: z.union([httpsLogo, dataLogo]).nullable().optional(),
  /** The header and button colour, `#rrggbb`; text on it is black or white, whichever reads better. */
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'expected #rrggbb')
    .nullable()
    .optional(),
});
export type PutBrandingRequest = z.infer<typeof putBrandingRequest>;

export interface TenantBranding {
  displayName: string;
  logoUrl: string | null;
  color: string | null;
  /** null until the tenant sets its branding (the defaults are shown). */
  updatedAt: string | null;
}
