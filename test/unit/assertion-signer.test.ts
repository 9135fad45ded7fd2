import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';
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

  it("writes the header and claims jose's SignJWT wrote, in the same order, with an ES256 signature jose verifies", async () => {
    const { signer, claims, verify, keys, box } = setup();
    const withAuthentication: AssertionClaims = { ...claims('ch_1'), authentication: { amr: ['hwk', 'user'], acr: 'phr' } };
    for (const input of [claims('ch_1'), withAuthentication]) {
      const token = await signer.sign(input);
      const [header = '', payload = '', signature = ''] = token.split('.');
      // The same key and claims through jose: byte for byte the same header and payload (ECDSA signatures are randomized).
      const [record] = await keys.list();
      const privateJwk = JSON.parse(Buffer.from(await box.decrypt(record?.encryptedPrivateKey ?? '', { kind: 'assertion-signing-key', binding: 'assertion-signing-key' })).toString('utf8'));
      const iat = Math.floor(input.approvedAt / 1000);
      const byJose = await new SignJWT({
        tid: input.tenantId,
        amr: input.authentication ? [...input.authentication.amr] : [input.method],
        ...(input.authentication ? { acr: input.authentication.acr } : {}),
        mth: input.method,
        cid: input.challengeId,
      })
        .setProtectedHeader({ alg: 'ES256', kid: record?.kid ?? '', typ: 'JWT' })
        .setIssuer(ISSUER)
        .setSubject(input.userId)
        .setAudience(input.tenantId)
        .setJti(input.challengeId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ASSERTION_TTL_SECONDS)
        .sign(await importJWK(privateJwk, 'ES256'));
      expect(`${header}.${payload}`).toBe(byJose.split('.').slice(0, 2).join('.'));
      expect(Buffer.from(signature, 'base64url')).toHaveLength(64);
      await expect(verify(token)).resolves.toMatchObject({ protectedHeader: { alg: 'ES256', typ: 'JWT' }, payload: { cid: input.challengeId } });
    }
  });

  it('keeps signing with a key jose made (stored before signing moved to node:crypto), and publishes its members as jose exported them', async () => {
    const { signer, claims, verify, keys, box, clock } = setup();
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await keys.put({
      kid: 'jose-made',
      publicJwk: await exportJWK(publicKey),
      encryptedPrivateKey: await box.encrypt(Buffer.from(JSON.stringify(await exportJWK(privateKey))), { kind: 'assertion-signing-key', binding: 'assertion-signing-key' }),
      createdAt: clock.now(),
    });
    const token = await signer.sign(claims('ch_1'));
    expect(decodeProtectedHeader(token).kid).toBe('jose-made');
    await expect(verify(token)).resolves.toBeDefined();
    // A key made now has the members jose's exportJWK gave, in its order.
    await signer.rotate();
    const made = (await keys.list()).find((k) => k.kid !== 'jose-made');
    expect(Object.keys(made?.publicJwk ?? {})).toEqual(Object.keys(await exportJWK(publicKey)));
  });

  it('refuses to sign with a stored key that is not an EC P-256 key', async () => {
    const { signer, claims, keys, box, clock } = setup();
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    await keys.put({
      kid: 'p384',
      publicJwk: {},
      encryptedPrivateKey: await box.encrypt(Buffer.from(JSON.stringify(await exportJWK(privateKey))), { kind: 'assertion-signing-key', binding: 'assertion-signing-key' }),
      createdAt: clock.now(),
    });
    await expect(signer.sign(claims('ch_1'))).rejects.toThrow(/P-256/);
  });

  it('refuses to sign with a stored private key whose public half is not the key the JWKS publishes for it (jose refused such a JWK)', async () => {
    const { signer, claims, keys, box, clock } = setup();
    const published = await generateKeyPair('ES256', { extractable: true });
    const other = await generateKeyPair('ES256', { extractable: true });
    // The other key's d with the published key's x and y: Node would sign with d, and nothing published would verify it.
    const mixed = { ...(await exportJWK(published.privateKey)), d: (await exportJWK(other.privateKey)).d };
    await keys.put({
      kid: 'mixed',
      publicJwk: await exportJWK(published.publicKey),
      encryptedPrivateKey: await box.encrypt(Buffer.from(JSON.stringify(mixed)), { kind: 'assertion-signing-key', binding: 'assertion-signing-key' }),
      createdAt: clock.now(),
    });
    await expect(signer.sign(claims('ch_1'))).rejects.toThrow('The signing key does not match the public key the JWKS publishes for it');
  });

  it('refuses an approval time that is not a time, rather than write "iat": null', async () => {
    const { signer, claims } = setup();
    await expect(signer.sign({ ...claims('ch_1'), approvedAt: Number.NaN })).rejects.toThrow('The approval time is not a time');
  });

  it('issues assertions that expire after the assertion lifetime', async () => {
    const { signer, claims, verify, clock } = setup();
    const token = await signer.sign(claims('ch_1'));
    clock.advance(10 * 60);
    await expect(verify(token)).rejects.toThrow(/exp/);
  });
});
