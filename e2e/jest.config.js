// The e2e tier: tests against a real Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager) that each test file starts through harness/control-plane.ts, from
// the binaries scripts/control-plane.sh builds. Run with `npx jest --config e2e/jest.config.js`.
const path = require('node:path');

module.exports = {
  displayName: 'e2e',
  rootDir: path.resolve(__dirname, '..'),
  roots: ['<rootDir>/e2e'],
  testMatch: ['<rootDir>/e2e/**/*.e2e.test.ts'],
  transform: { '^.+\\.[tj]s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // jose and openid-client ship ES modules only: compiled to CommonJS like our own sources.
  transformIgnorePatterns: ['/node_modules/(?!(openid-client|oauth4webapi|jose)/)'],
  moduleNameMapper: { '^@alter-vault/sdk$': '<rootDir>/sdk/typescript/src/index.ts' },
  testEnvironment: 'node',
  setupFilesAfterEnv: ['<rootDir>/e2e/jest.setup.ts'],
  // Two cores: control planes of parallel test files would starve each other.
  maxWorkers: 1,
};
