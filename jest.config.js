// One jest project per tier (STYLE 24): unit tests are pure; integration tests use the
// real Postgres and KMS servers that testenv/global-setup.ts starts once per run.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const moduleNameMapper = { '^@alter-vault/sdk$': '<rootDir>/sdk/typescript/src/index.ts' };
const common = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

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
