// Lets `node -r ./bench/ts-register.js file.ts` run the benchmark's TypeScript (and the
// testenv/ helpers it shares with the tests) with the @swc/core that jest already uses.
// Type checking is `make lint`'s job; this only strips types.
const { transformFileSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformFileSync(filename, {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
