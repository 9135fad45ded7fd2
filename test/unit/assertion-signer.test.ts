import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { AssertionSigner, type AssertionClaims } from '../../shared/domain/assertions';
import { ASSERTION_TTL_SECONDS, JWKS_MAX_AGE_SECONDS, SIGNING_KEY_CACHE_SECONDS } from '../../shared/rules';
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
  it('keeps assertions signed before a rotation valid, signs new ones with the new key once it is due and lists both', async () => {
    const { clock, signer, claims, verify } = setup();
    const before = await signer.sign(claims('ch_before'));
    const oldKid = decodeProtectedHeader(before).kid;

    clock.advance(1);
    const { kid: newKid, signsFrom } = await signer.rotate();
    expect(Date.parse(signsFrom)).toBe(clock.now() + JWKS_MAX_AGE_SECONDS * 1000);
    expect(decodeProtectedHeader(await signer.sign(claims('ch_during'))).kid).toBe(oldKid);
    await expect(verify(before)).resolves.toMatchObject({ payload: { cid: 'ch_before' } });
    clock.advance(JWKS_MAX_AGE_SECONDS);
    const after = await signer.sign(claims('ch_after'));

    expect(newKid).not.toBe(oldKid);
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    const jwks = await signer.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
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

  it('makes another process switch to the new key once it is due and its cache expired', async () => {
    const { clock, keys, box, signer, claims } = setup();
    const other = new AssertionSigner({ keys, box, clock, issuer: ISSUER });
    const oldKid = decodeProtectedHeader(await other.sign(claims('ch_1'))).kid;
    clock.advance(1);
    const { kid: newKid } = await signer.rotate();

    expect(decodeProtectedHeader(await other.sign(claims('ch_2'))).kid).toBe(oldKid);
    clock.advance(JWKS_MAX_AGE_SECONDS);
    expect(decodeProtectedHeader(await other.sign(claims('ch_3'))).kid).toBe(newKid);
  });

  it('R4: an assertion issued 61 s after a rotation verifies against a JWKS cached at the rotation (max-age)', async () => {
    const { clock, signer, claims } = setup();
    await signer.sign(claims('ch_0'));
    // A verifier that honours cache-control fetches the JWKS just before the rotation and keeps it for max-age.
    const cached = createLocalJWKSet(await signer.jwks());
    const verifyCached = (token: string) =>
      jwtVerify(token, cached, { issuer: ISSUER, audience: 'tn_a', currentDate: new Date(clock.now()) });
    const { kid: nextKid } = await signer.rotate();
    const fetchedAtRotation = await signer.jwks();
    expect(fetchedAtRotation.keys.map((k) => k.kid)).toContain(nextKid);

    for (const seconds of [61, JWKS_MAX_AGE_SECONDS - 61 - 1]) {
      clock.advance(seconds);
      await expect(verifyCached(await signer.sign(claims(`ch_${clock.now()}`)))).resolves.toBeDefined();
    }
    // Past max-age the verifier has refetched; the next key, published since the rotation, signs
    // once this process's key cache (loaded a second before it was due) has expired.
    clock.advance(SIGNING_KEY_CACHE_SECONDS);
    const afterMaxAge = await signer.sign(claims('ch_after'));
    expect(decodeProtectedHeader(afterMaxAge).kid).toBe(nextKid);
    await expect(
      jwtVerify(afterMaxAge, createLocalJWKSet(fetchedAtRotation), { issuer: ISSUER, audience: 'tn_a', currentDate: new Date(clock.now()) }),
    ).resolves.toBeDefined();
  });

  it('R4: a replaced key stays published for the assertion lifetime plus max-age after the last assertion it may sign', async () => {
    const { clock, signer, claims, verify } = setup();
    const oldKid = decodeProtectedHeader(await signer.sign(claims('ch_0'))).kid;
    await signer.rotate();
    // The next key takes over after max-age; a process that loaded the old key just before may sign with it
    // for one more cache period, and that assertion lives ASSERTION_TTL_SECONDS.
    clock.advance(JWKS_MAX_AGE_SECONDS + SIGNING_KEY_CACHE_SECONDS);
    clock.advance(ASSERTION_TTL_SECONDS + JWKS_MAX_AGE_SECONDS);
    expect((await signer.jwks()).keys.map((k) => k.kid)).toContain(oldKid);
    clock.advance(1);
    expect((await signer.jwks()).keys.map((k) => k.kid)).not.toContain(oldKid);
    await expect(verify(await signer.sign(claims('ch_1')))).resolves.toBeDefined();
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
