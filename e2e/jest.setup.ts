// setupFilesAfterEnv of the e2e tier. jest reads `testTimeout` from the global config only, so
// the tier's timeout is set here: starting a control plane on two shared cores takes tens of
// seconds, and beforeAll hooks share this limit.
jest.setTimeout(180_000);
