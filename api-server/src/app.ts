// Wires one api-server instance from a frozen Config and injected dependencies. Tests,
// the benchmark and main.ts all drive the same start()/stop().
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express, { NextFunction, Request, Response } from 'express';
import type { DestinationStream } from 'pino';
import { AuditWriter } from './audit/audit.writer';
import { ensureBootstrapKey } from './auth/api-key.service';
import { ServiceAccountVerifier } from './auth/service-account';
import { UserTokenVerifier } from './auth/user-token';
import { TokenReviewer } from './auth/token-review';
import type { Config } from './config';
import { Envelope } from './crypto/envelope';
import type { KeyProvider } from './crypto/key-provider';
import { createKeyProvider } from './crypto/key-provider.factory';
import { errorHandler, sendError } from './http/errors';
import { connectPagesRouter } from './http/connect-pages';
import { walletPagesRouter } from './http/wallet-pages';
import { internalRouter } from './http/internal';
import { openApiDocument } from './http/openapi';
import { publicRouter } from './http/public';
import { allRouteSpecs, plainRoutes } from './http/routes';
import type { Services } from './http/services';
import { createLogger, Logger } from './logger';
import { createMetrics, Metrics } from './metrics';
import { loadCatalog } from './oauth/catalog';
import { ConnectService } from './oauth/connect.service';
import { BrandingService } from './tenants/branding.service';
import { identityProviderSource } from './wallet/identity-providers';
import { WalletAuth } from './wallet/wallet-auth.service';
import { WalletService } from './wallet/wallet.service';
import { GrantRefresher } from './oauth/refresh';
import { type Authorizer, CerbosAuthorizer } from './policy/authorizer';
import { PolicyRules } from './policy/rule.service';
import { cerbosBinary, EmbeddedPdp, startEmbeddedPdp } from './policy/embedded-pdp';
import { HotPath } from './proxy/hot-path';
import { Db, openStore } from './store/db';
import { migrateToLatest } from './store/migrator';

export const VERSION = '0.1.0';

export interface AppDeps {
  /** Where JSON logs go (stdout by default). */
  logDestination?: DestinationStream;
  /** A prepared key provider (tests inject one bound to moto); built from config otherwise. */
  keyProvider?: KeyProvider;
  now?: () => Date;
  /** Decides the hot path's uses instead of the CerbosAuthorizer built from config (the benchmark's timing wrapper); /readyz still asks the PDP. */
  authorizer?: Authorizer;
}

export interface App {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  /** Available after start(). */
  readonly services: Services;
  readonly metrics: Metrics;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export function createApp(config: Readonly<Config>, deps: AppDeps = {}): App {
  const logger = createLogger(config.logLevel, deps.logDestination);
  const metrics = createMetrics();
  const now = deps.now ?? (() => new Date());
  let db: Db | undefined;
  let keyProvider: KeyProvider | undefined;
  let audit: AuditWriter | undefined;
  let pdp: EmbeddedPdp | undefined;
  let authorizer: CerbosAuthorizer | undefined;
  let refresher: GrantRefresher | undefined;
  let services: Services | undefined;
  let server: Server | undefined;
  let shuttingDown = false;

  function buildHttp(svc: Services, kp: KeyProvider, store: Db, policy: CerbosAuthorizer) {
    const specs = allRouteSpecs(svc);
    const openapi = openApiDocument(specs, plainRoutes, VERSION);
    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', config.trustProxy);
    app.use((req: Request, res: Response, next: NextFunction) => {
      const inbound = req.headers['x-request-id'];
      const requestId = typeof inbound === 'string' && REQUEST_ID.test(inbound) ? inbound : randomUUID();
      res.locals.requestId = requestId;
      res.setHeader('X-Request-Id', requestId);
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const routePath = (req.route?.path as string | undefined) ?? 'unmatched';
        const outcome = (res.locals.errorCode as string | undefined) ?? 'ok';
        metrics.httpRequests.inc({ method: req.method, route: routePath, status: String(res.statusCode), outcome });
        metrics.httpDuration.observe({ method: req.method, route: routePath }, seconds);
        logger.info({ requestId, method: req.method, route: routePath, status: res.statusCode, outcome, durationMs: Math.round(seconds * 1000) }, 'request');
      });
      if (shuttingDown) {
        res.setHeader('Connection', 'close');
        return sendError(res, { code: 'shutting_down', message: 'the server is shutting down' });
      }
      next();
    });
    app.use(internalRouter({ db: store, keyProvider: kp, policy, metrics, openapi: () => openapi, isShuttingDown: () => shuttingDown }));
    app.use(connectPagesRouter(svc.connect, config.publicUrl, (tenantId) => svc.branding.forPages(tenantId)));
    app.use(walletPagesRouter({ auth: svc.walletAuth, wallet: svc.wallet, branding: svc.branding, publicUrl: config.publicUrl }));
    app.use(publicRouter(specs, svc, config.maxRequestBytes));
    app.use((_req: Request, res: Response) => sendError(res, { code: 'not_found', message: 'no such route' }));
    app.use(errorHandler((err) => logger.error({ err }, 'request failed')));
    return app;
  }

  return {
    config,
    logger,
    metrics,
    get services() {
      if (!services) throw new TypeError('app not started');
      return services;
    },
    async start() {
      try {
        // A bad catalog is a boot failure that names every problem (CatalogError).
        const catalog = loadCatalog(config.providersDir);
        if (!config.databaseUrl) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        const kp = deps.keyProvider ?? (await createKeyProvider(config, logger, metrics));
        keyProvider = kp;
        db = await openStore({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pglite'), poolSize: config.dbPoolSize, preparedStatements: config.dbPreparedStatements });
        for (const m of await migrateToLatest(db)) logger.info({ migration: m.migrationName, direction: m.direction, status: m.status }, 'migration');
        if (config.bootstrapKey) {
          const state = await ensureBootstrapKey(db, config.bootstrapKey, now());
          if (state === 'revoked') logger.warn('ALTER_BOOTSTRAP_KEY names a revoked key; it stays revoked');
          else logger.info({ state }, 'bootstrap key');
        }
        const envelope = new Envelope({ keyProvider: kp, metrics });
        audit = new AuditWriter(db, { writeDuration: metrics.auditWriteDuration, batchSize: metrics.auditBatchSize }, now);
        const policy = config.policy;
        const pdpAddress =
          policy.kind === 'remote'
            ? policy.address
            : (pdp = await startEmbeddedPdp({ binary: cerbosBinary(policy.binary), policyDir: policy.policyDir, runDir: path.join(config.dataDir, 'cerbos'), logger })).address;
        authorizer = new CerbosAuthorizer(pdpAddress, { timeoutMs: policy.timeoutMs, cacheMs: policy.cacheMs, metrics: { checks: metrics.policyChecks } });
        const providerTimeoutMs = config.providerTimeoutMs;
        refresher = new GrantRefresher({ db, envelope, catalog, audit, metrics, logger, providerTimeoutMs, settings: config.refresh, now });
        const rules = new PolicyRules({ db, now });
        const hotPath = new HotPath({ db, envelope, authorizer: deps.authorizer ?? authorizer, rules, audit, refresher, proxy: config.proxy, now });
        const connect = new ConnectService({ db, envelope, catalog, audit, metrics, providerTimeoutMs, publicUrl: config.publicUrl, isReturnUrlAllowed: returnUrlPolicy(config.allowedReturnOrigins), now });
        const k8s = config.kubernetes;
        const tokenReview = k8s.tokenReview && {
          cluster: k8s.tokenReview.cluster,
          reviewer: new TokenReviewer({ ...k8s.tokenReview, audience: k8s.audience, timeoutMs: providerTimeoutMs }),
        };
        const serviceAccounts = k8s.clusters.length > 0 ? new ServiceAccountVerifier({ ...k8s, tokenReview, timeoutMs: providerTimeoutMs }) : undefined;
        // Identity providers' keys are fetched at most once per ALTER_K8S_JWKS_COOLDOWN_MS, like the clusters'.
        const userTokens = new UserTokenVerifier(db, { timeoutMs: providerTimeoutMs, jwksCooldownMs: k8s.jwksCooldownMs });
        const branding = new BrandingService(db);
        const walletAuth = new WalletAuth({
          db,
          envelope,
          audit,
          identityProviders: identityProviderSource({ db, envelope }),
          logger,
          publicUrl: config.publicUrl,
          providerTimeoutMs,
          idleMs: config.wallet.sessionIdleMs,
          maxMs: config.wallet.sessionMaxMs,
          now,
        });
        const wallet = new WalletService({ db, envelope, catalog, audit, metrics, logger, providerTimeoutMs, now });
        services = { db, envelope, hotPath, rules, audit, catalog, connect, refresher, serviceAccounts, userTokens, branding, walletAuth, wallet, metrics, logger, providerTimeoutMs, now };
        const app = buildHttp(services, kp, db, authorizer);
        const listening = app.listen(config.port, config.host);
        server = listening;
        await new Promise<void>((resolve, reject) => {
          listening.once('listening', resolve);
          listening.once('error', reject);
        });
        const port = (listening.address() as AddressInfo).port;
        const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
        refresher.start();
        logger.info({ url, publicUrl: config.publicUrl, store: config.databaseUrl ? 'postgres' : 'pglite', keyProvider: kp.kind }, 'alter-vault api-server listening');
        return { url, port };
      } catch (err) {
        // Whatever started (the store, the key provider, the PDP child) stops again.
        await this.stop().catch(() => undefined);
        throw err;
      }
    },
    async stop() {
      shuttingDown = true;
      if (server) {
        const closing = server;
        // In-flight requests finish; idle keep-alive sockets close now, the rest at the deadline.
        const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
        closing.closeIdleConnections();
        const deadline = setTimeout(() => closing.closeAllConnections(), config.shutdownTimeoutMs);
        await closed;
        clearTimeout(deadline);
      }
      await refresher?.stop();
      await audit?.close();
      authorizer?.close();
      await pdp?.stop();
      await db?.destroy();
      await keyProvider?.close();
      logger.info('alter-vault api-server stopped');
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Configured origins only; without configuration, loopback origins (the embedded default). */
function returnUrlPolicy(origins: string[] | null): (url: URL) => boolean {
  if (origins) {
    const allowed = new Set(origins);
    return (url) => allowed.has(url.origin);
  }
  return (url) => LOOPBACK.has(url.hostname);
}
