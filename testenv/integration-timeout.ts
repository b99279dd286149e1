// setupFilesAfterEnv of the `integration` project. jest reads `testTimeout` from the global
// config only, so a per-project value goes here: real servers on two shared cores get a
// generous timeout, so load never turns into a flake.
jest.setTimeout(30_000);
