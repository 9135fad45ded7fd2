import {
  APP_PASSWORD_ALPHABET,
  appPasswordNeedsRehash,
  generateAppPassword,
  hashAppPassword,
  normaliseAppPassword,
  verifyAppPassword,
} from '../../shared/domain/app-passwords';

/** Cheap parameters for the tests that do not check the production cost. */
const FAST = { N: 2 ** 10, r: 8, p: 1 } as const;

describe('R21 app passwords are generated once, from an unambiguous alphabet', () => {
  it('has the form xxxx-xxxx-xxxx-xxxx with no look-alike characters', () => {
    const samples = Array.from({ length: 500 }, generateAppPassword);
    for (const password of samples) {
      expect(password).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
      expect(password).not.toMatch(/[01ilo]/);
    }
    expect(new Set(samples).size).toBe(samples.length);
    // Every symbol of the alphabet turns up: 8000 draws from 31 symbols.
    expect(new Set(samples.join('').replace(/-/g, '')).size).toBe(APP_PASSWORD_ALPHABET.length);
  });

  it('normalises what people paste: case, spaces and dashes', () => {
    expect(normaliseAppPassword(' ABCD-efgh jkmn-PQRS ')).toBe('abcdefghjkmnpqrs');
  });
});

describe('R21/R28 app passwords are stored as salted scrypt hashes', () => {
  it('stores the parameters, a salt and the hash, and not the password', async () => {
    const password = generateAppPassword();
    const stored = await hashAppPassword(password);
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(normaliseAppPassword(password));
    expect(stored).not.toContain(password);
  });

  it('salts each hash', async () => {
    const password = generateAppPassword();
    const [a, b] = await Promise.all([hashAppPassword(password, FAST), hashAppPassword(password, FAST)]);
    expect(a).not.toBe(b);
    await expect(verifyAppPassword(password, a)).resolves.toBe(true);
    await expect(verifyAppPassword(password, b)).resolves.toBe(true);
  });

  it('verifies the right password however it is typed', async () => {
    const password = generateAppPassword();
    const stored = await hashAppPassword(password);
    await expect(verifyAppPassword(password, stored)).resolves.toBe(true);
    await expect(verifyAppPassword(password.replace(/-/g, '').toUpperCase(), stored)).resolves.toBe(true);
  });

  it('refuses a wrong password, one character off, and an empty one', async () => {
    const password = generateAppPassword();
    const stored = await hashAppPassword(password, FAST);
    const last = password.at(-1) === 'a' ? 'b' : 'a';
    await expect(verifyAppPassword(`${password.slice(0, -1)}${last}`, stored)).resolves.toBe(false);
    await expect(verifyAppPassword(generateAppPassword(), stored)).resolves.toBe(false);
    await expect(verifyAppPassword('', stored)).resolves.toBe(false);
  });

  it('refuses a password against an altered hash', async () => {
    const password = generateAppPassword();
    const stored = await hashAppPassword(password, FAST);
    const parts = stored.split('$');
    const hash = Buffer.from(parts[5] ?? '', 'base64url');
    hash[0] = (hash[0] ?? 0) ^ 1;
    await expect(verifyAppPassword(password, [...parts.slice(0, 5), hash.toString('base64url')].join('$'))).resolves.toBe(false);
    await expect(verifyAppPassword(password, stored.replace(/\$8\$1\$/, '$4$1$'))).resolves.toBe(false);
  });

  it('throws on a stored value it did not write, or one asking for absurd cost', async () => {
    for (const stored of ['', 'plaintext', 'scrypt$16384$8$1$salt', 'bcrypt$16384$8$1$c2FsdA$aGFzaA', 'scrypt$1000$8$1$c2FsdA$aGFzaA', `scrypt$${2 ** 24}$8$1$c2FsdA$aGFzaA`]) {
      await expect(verifyAppPassword('x', stored)).rejects.toThrow('The stored app password hash is malformed');
    }
  });

  it('says when a hash was made with weaker parameters than today', async () => {
    expect(appPasswordNeedsRehash(await hashAppPassword('abcd', FAST))).toBe(true);
    expect(appPasswordNeedsRehash(await hashAppPassword('abcd'))).toBe(false);
  });
});
