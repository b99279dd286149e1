// The test CA and server certificate, made by scripts/test.sh before jest starts: Node reads
// NODE_EXTRA_CA_CERTS only at process start, so the script must export it for every worker.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_ENV_DIR } from './env';
import { TestEnvError } from './util';

const TLS_DIR = path.join(TEST_ENV_DIR, 'tls');
const FIX = 'run the tests through scripts/test.sh (it makes .test-env/tls and exports NODE_EXTRA_CA_CERTS)';

export interface TlsFiles {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
}

/** Checks the TLS material exists, is valid now, covers 127.0.0.1 and localhost, and is trusted. */
export function checkTls(): TlsFiles {
  const files = {
    caFile: path.join(TLS_DIR, 'ca.pem'),
    serverCertFile: path.join(TLS_DIR, 'server.pem'),
    serverKeyFile: path.join(TLS_DIR, 'server-key.pem'),
  };
  const missing = Object.values(files).filter((f) => !existsSync(f));
  if (missing.length) throw new TestEnvError(`TLS material missing (${missing.join(', ')}): ${FIX}`);

  const ca = new X509Certificate(readFileSync(files.caFile));
  const cert = new X509Certificate(readFileSync(files.serverCertFile));
  const now = Date.now();
  const problems = [
    !cert.verify(ca.publicKey) && 'server.pem is not signed by ca.pem',
    !cert.checkIP('127.0.0.1') && 'server.pem does not cover 127.0.0.1',
    !cert.checkHost('localhost') && 'server.pem does not cover localhost',
    (Date.parse(cert.validTo) < now || Date.parse(ca.validTo) < now) && 'a certificate has expired',
  ].filter(Boolean);
  if (problems.length) throw new TestEnvError(`bad TLS material: ${problems.join('; ')}; delete ${TLS_DIR} and rerun scripts/test.sh`);

  // The file may bundle other CAs too (scripts/test.sh keeps one the machine already set).
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (!extra || !existsSync(extra) || !readFileSync(extra, 'utf8').includes(readFileSync(files.caFile, 'utf8').trim())) {
    throw new TestEnvError(`NODE_EXTRA_CA_CERTS must name a file holding ${files.caFile} (it is ${extra ?? 'unset'}): ${FIX}, or export it yourself`);
  }
  return files;
}
