// The one page shell of every server-rendered page (the hosted connect pages and the wallet):
// the tenant's display name, logo and colour; readable on a phone; keyboard-usable; and the
// headers that keep such a page safe. No script at all: the Content-Security-Policy allows
// one stylesheet by its hash, the tenant's logo, and forms posting to this origin only.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

/** How a tenant's pages look (PUT /v1/tenant/branding); defaults where it set nothing. */
export interface Branding {
  displayName: string;
  /** An https URL or a data:image URL; null: no logo. */
  logoUrl: string | null;
  /** `#rrggbb`; null: the default colour. */
  color: string | null;
}

export const DEFAULT_BRANDING: Branding = { displayName: 'Alter Vault', logoUrl: null, color: null };
const DEFAULT_COLOR = '#3451b2';

/** A cookie's value, or undefined. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The ids named by cookies `<prefix><id>` (one per attempt a browser started). Only UUIDs: the
 * ids go to uuid columns, and a made-up cookie must not turn into a store error.
 */
export function cookieIds(req: Request, prefix: string): string[] {
  const ids: string[] = [];
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name] = part.trim().split('=');
    const id = name?.startsWith(prefix) ? name.slice(prefix.length) : '';
    if (UUID.test(id)) ids.push(id);
  }
  return ids;
}

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface PageOptions {
  status: number;
  title: string;
  /** Trusted HTML: every value in it was escaped by the caller. */
  body: string;
  branding?: Branding;
  /** Trusted HTML for the header's navigation (the wallet's links and sign-out form). */
  nav?: string;
  /**
   * no-referrer where the URL is a credential (connect links); same-origin where forms post
   * (a no-referrer page's POST would carry `Origin: null`, and the Origin check needs it).
   */
  referrerPolicy?: 'no-referrer' | 'same-origin';
}

// WCAG relative luminance and contrast ratio, to pick readable text on the tenant's colour.
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The colours derived from the tenant's: text on it, and a link colour readable on white (4.5:1). */
export function palette(color: string | null): { brand: string; onBrand: string; accent: string } {
  const brand = color && /^#[0-9a-f]{6}$/i.test(color) ? color.toLowerCase() : DEFAULT_COLOR;
  // Black or white, whichever reads better: one of them always reaches 4.5:1.
  const onBrand = contrast(brand, '#ffffff') >= contrast(brand, '#000000') ? '#ffffff' : '#000000';
  const accent = contrast(brand, '#ffffff') >= 4.5 ? brand : '#1d2939';
  return { brand, onBrand, accent };
}

const BASE_CSS =
  '*{box-sizing:border-box}' +
  'body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f5f6f8}' +
  'header.brand{background:var(--brand);color:var(--on-brand)}' +
  'header.brand .bar{max-width:48rem;margin:0 auto;padding:.75rem 1rem;display:flex;align-items:center;gap:.75rem;flex-wrap:wrap}' +
  'header.brand img{height:2rem;width:auto;max-width:8rem;border-radius:.25rem;background:#fff}' +
  'header.brand .name{font-weight:700;font-size:1.125rem}' +
  'header.brand nav{margin-left:auto;display:flex;gap:.25rem 1rem;flex-wrap:wrap;align-items:center}' +
  'header.brand nav a,header.brand nav button{color:var(--on-brand);font:inherit;background:none;border:0;padding:.5rem 0;min-height:44px;text-decoration:underline;cursor:pointer}' +
  'header.brand nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}' +
  'header.brand nav form{margin:0}' +
  'header.brand :focus-visible{outline:3px solid var(--on-brand);outline-offset:2px}' +
  'main{max-width:48rem;margin:0 auto;padding:1rem}' +
  'h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}h2{font-size:1.125rem;margin:0 0 .5rem}' +
  'a{color:var(--accent)}' +
  ':focus-visible{outline:3px solid #101828;outline-offset:2px}' +
  '.button{display:inline-flex;align-items:center;justify-content:center;min-height:44px;padding:.625rem 1rem;border-radius:.5rem;border:2px solid var(--brand);background:var(--brand);color:var(--on-brand);font:inherit;font-weight:600;line-height:1.25;text-decoration:none;cursor:pointer;text-align:center}' +
  '.button.block{display:flex;width:100%;margin:.5rem 0}' +
  '.button.secondary{background:#fff;color:#1a1a1a;border-color:#667085}' +
  '.button.danger{background:#b42318;border-color:#b42318;color:#fff}' +
  '.button.small{min-height:40px;padding:.375rem .75rem;font-size:.9375rem}' +
  '.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.75rem}.actions form{margin:0}' +
  '.card{background:#fff;border:1px solid #d0d5dd;border-radius:.75rem;padding:1rem;margin:0 0 1rem}' +
  '.card h2{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}' +
  '.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.875rem;font-weight:600;white-space:nowrap}' +
  '.badge.ok{background:#dcfae6;color:#054f31}.badge.warn{background:#fef0c7;color:#7a2e0e}.badge.bad{background:#fee4e2;color:#7a271a}.badge.muted{background:#eaecf0;color:#344054}' +
  'dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.5rem 0}' +
  'dl.facts dt{color:#475467}dl.facts dd{margin:0;overflow-wrap:anywhere}' +
  'ul.plain{list-style:none;padding:0;margin:0}ul.plain li{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.25rem 0}' +
  'form.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.75rem;align-items:end;margin:0 0 1rem}' +
  'label{display:block;font-weight:600;font-size:.875rem;margin-bottom:.25rem}' +
  'select,input{display:block;width:100%;min-height:44px;font:inherit;padding:.5rem;border:1px solid #667085;border-radius:.5rem;background:#fff;color:#1a1a1a}' +
  'ol.events{list-style:none;padding:0;margin:0}' +
  'ol.events li{background:#fff;border:1px solid #d0d5dd;border-radius:.75rem;padding:.75rem 1rem;margin:0 0 .5rem}' +
  'ol.events .what{font-weight:600;overflow-wrap:anywhere}' +
  '.muted{color:#475467}.small{font-size:.875rem}' +
  '.notice{border-left:4px solid var(--brand);background:#fff;padding:.75rem 1rem;margin:0 0 1rem;border-radius:.25rem}' +
  'footer{max-width:48rem;margin:1rem auto 2rem;padding:0 1rem;color:#475467;font-size:.875rem}' +
  '@media (max-width:30rem){dl.facts{grid-template-columns:1fr;gap:0}dl.facts dd{margin-bottom:.5rem}header.brand nav{margin-left:0;width:100%}}';

/** A data:image URL may be a logo; CSP then allows data: images (which run no script in <img>). */
export const isDataImage = (url: string) => /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/.test(url);

function imgSource(logoUrl: string | null): string | undefined {
  if (!logoUrl) return undefined;
  if (isDataImage(logoUrl)) return 'data:';
  // The exact URL (CSP matches a path source exactly); stored URLs carry no ; , ' or spaces.
  return /^https:\/\/[^\s;,']+$/.test(logoUrl) ? logoUrl : undefined;
}

/** Renders a page and answers it with its security headers. */
export function sendPage(res: Response, options: PageOptions): void {
  const branding = options.branding ?? DEFAULT_BRANDING;
  const colors = palette(branding.color);
  const css = `:root{--brand:${colors.brand};--on-brand:${colors.onBrand};--accent:${colors.accent}}${BASE_CSS}`;
  const styleHash = createHash('sha256').update(css, 'utf8').digest('base64');
  const img = imgSource(branding.logoUrl);
  const csp = [
    "default-src 'none'",
    `style-src 'sha256-${styleHash}'`,
    ...(img ? [`img-src ${img}`] : []),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  const logo = img ? `<img src="${escapeHtml(branding.logoUrl!)}" alt="">` : '';
  const title = branding.displayName === DEFAULT_BRANDING.displayName ? options.title : `${options.title} · ${branding.displayName}`;
  res
    .status(options.status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp,
      'Referrer-Policy': options.referrerPolicy ?? 'no-referrer',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
    })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${escapeHtml(title)}</title><style>${css}</style></head><body>` +
        `<header class="brand"><div class="bar">${logo}<span class="name">${escapeHtml(branding.displayName)}</span>${options.nav ? `<nav aria-label="Wallet">${options.nav}</nav>` : ''}</div></header>` +
        `<main id="main"><h1>${escapeHtml(options.title)}</h1>${options.body}</main>` +
        `<footer>Secured by Alter Vault</footer></body></html>`,
    );
}
