/**
 * Attestation certificates for the software authenticator (test/support/authenticator.ts), made
 * with the openssl command line: a root CA, and under it a batch certificate of the kind a security
 * key carries (OU "Authenticator Attestation", not a CA) with its private key.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AttestationCA {
  /** The root, PEM: what a tenant puts in `attestationRoots`. */
  readonly rootPem: string;
  /** The batch certificate (DER) and its key: what the authenticator signs its attestation with. */
  readonly leafDer: Buffer;
  readonly leafKey: KeyObject;
}

export function attestationCA(name = 'Test Vendor'): AttestationCA {
  const dir = mkdtempSync(join(tmpdir(), 'attestation-'));
  const at = (file: string) => join(dir, file);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at('root.key'));
    openssl('req', '-x509', '-new', '-key', at('root.key'), '-days', '3650', '-subj', `/C=US/O=${name}/CN=${name} Attestation Root`, '-out', at('root.pem'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at('leaf.key'));
    openssl('req', '-new', '-key', at('leaf.key'), '-subj', `/C=US/O=${name}/OU=Authenticator Attestation/CN=${name} Batch`, '-out', at('leaf.csr'));
    writeFileSync(at('leaf.ext'), 'basicConstraints=critical,CA:FALSE\n');
    openssl('x509', '-req', '-in', at('leaf.csr'), '-CA', at('root.pem'), '-CAkey', at('root.key'), '-CAcreateserial', '-days', '3650', '-extfile', at('leaf.ext'), '-out', at('leaf.pem'));
    return {
      rootPem: readFileSync(at('root.pem'), 'utf8'),
      leafDer: new X509Certificate(readFileSync(at('leaf.pem'))).raw,
      leafKey: createPrivateKey(readFileSync(at('leaf.key'))),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
