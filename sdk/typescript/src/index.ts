export * from './contract';
export * from './errors';
export * from './vault';
export * from './vault-error';
