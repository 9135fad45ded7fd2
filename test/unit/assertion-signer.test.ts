import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { AssertionSigner, type AssertionClaims } from '../../shared/domain/assertions';
import { SIGNING_KEY_CACHE_SECONDS } from '../../shared/rules';
import { FakeClock, InMemorySigningKeyStore } from '../support/fakes';

const ISSUER = 'https://tessera.test';

function setup() {
  const clock = new FakeClock();
  const keys = new InMemorySigningKeyStore();
  const box = new LocalSecretBox(randomBytes(32).toString('base64'));
  const signer = new AssertionSigner({ keys, box, clock, issuer: ISSUER });
  const claims = (challengeId: string): AssertionClaims => ({
    tenantId: 'tn_a',
    userId: 'alice',
    method: 'sms',
    challengeId,
    approvedAt: clock.now(),
  });
  const verify = async (token: string) =>
    jwtVerify(token, createLocalJWKSet(await signer.jwks()), {
      issuer: ISSUER,
      audience: 'tn_a',
      algorithms: ['ES256'],
      currentDate: new Date(clock.now()),
    });
  return { clock, keys, box, signer, claims, verify };
}

describe('R4 signing key rotation', () => {
  it('keeps assertions signed before a rotation valid, signs new ones with the new key and lists both', async () => {
    const { clock, signer, claims, verify } = setup();
    const before = await signer.sign(claims('ch_before'));
    const oldKid = decodeProtectedHeader(before).kid;

    clock.advance(1);
    const { kid: newKid } = await signer.rotate();
    const after = await signer.sign(claims('ch_after'));

    expect(newKid).not.toBe(oldKid);
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    const jwks = await signer.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    await expect(verify(before)).resolves.toMatchObject({ payload: { cid: 'ch_before' } });
    await expect(verify(after)).resolves.toMatchObject({ payload: { cid: 'ch_after' } });
  });

  it('publishes public keys only', async () => {
    const { signer, claims } = setup();
    await signer.sign(claims('ch_1'));
    const { keys } = await signer.jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('stores the private key only encrypted', async () => {
    const { signer, claims, keys } = setup();
    await signer.sign(claims('ch_1'));
    const [record] = await keys.list();
    expect(record?.encryptedPrivateKey).toMatch(/^v1\./);
    expect(JSON.stringify(record)).not.toMatch(/"d":/);
  });

  it('makes another process switch to the new key once its cache expires', async () => {
    const { clock, keys, box, signer, claims } = setup();
    const other = new AssertionSigner({ keys, box, clock, issuer: ISSUER });
    const oldKid = decodeProtectedHeader(await other.sign(claims('ch_1'))).kid;
    clock.advance(1);
    const { kid: newKid } = await signer.rotate();

    expect(decodeProtectedHeader(await other.sign(claims('ch_2'))).kid).toBe(oldKid);
    clock.advance(SIGNING_KEY_CACHE_SECONDS);
    expect(decodeProtectedHeader(await other.sign(claims('ch_3'))).kid).toBe(newKid);
  });

  it('refuses an assertion whose signature was tampered with', async () => {
    const { signer, claims, verify } = setup();
    const token = await signer.sign(claims('ch_1'));
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(64, 1).toString('base64url')}`;
    await expect(verify(forged)).rejects.toThrow();
  });

  it('issues assertions that expire after the assertion lifetime', async () => {
    const { signer, claims, verify, clock } = setup();
    const token = await signer.sign(claims('ch_1'));
    clock.advance(10 * 60);
    await expect(verify(token)).rejects.toThrow(/exp/);
  });
});
