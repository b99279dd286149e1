export * from './contract';
export * from './end-users';
export * from './branding';
export * from './errors';
export * from './policy-rules';
export { DEFAULT_TOKEN_PATH } from './service-account';
export * from './vault';
export * from './vault-error';
