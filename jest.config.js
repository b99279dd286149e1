// One jest project per tier (STYLE 24): unit tests are pure; integration tests use the
// real Postgres and KMS servers that testenv/global-setup.ts starts once per run.
const transform = { '^.+\\.[tj]s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] };
// openid-client and its dependencies ship ES modules only; Node 20 requires them natively,
// jest's module system does not, so they are compiled to CommonJS like our own sources.
const transformIgnorePatterns = ['/node_modules/(?!(openid-client|oauth4webapi|jose)/)'];
const moduleNameMapper = { '^@alter-vault/sdk$': '<rootDir>/sdk/typescript/src/index.ts' };
const common = { transform, transformIgnorePatterns, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/src/**/*.unit.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/src/**/*.integration.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/testenv/integration-timeout.ts'],
      globalSetup: '<rootDir>/testenv/global-setup.ts',
      globalTeardown: '<rootDir>/testenv/global-teardown.ts',
    },
  ],
};
