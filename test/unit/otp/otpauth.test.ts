import { ValidationError } from '../../../shared/domain/errors';
import { keyUri, qrPngDataUrl, qrSvg } from '../../../shared/domain/otp/otpauth';
import { base32Decode, totpAt } from '../../../shared/domain/otp/totp';

const SECRET = new Uint8Array(Buffer.from('12345678901234567890', 'ascii'));

describe('R5 otpauth:// key URI', () => {
  it('names issuer and account, and spells out every parameter', () => {
    expect(keyUri({ issuer: 'ACME Co', account: 'alice@example.com', secret: SECRET })).toBe(
      'otpauth://totp/ACME%20Co:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('percent-encodes reserved characters and never writes a space as +', () => {
    const uri = keyUri({ issuer: "Ben & Jerry's", account: 'a+b c(1)/x?y#z', secret: SECRET });
    expect(uri).toMatch(/^otpauth:\/\/totp\/Ben%20%26%20Jerry%27s:a%2Bb%20c%281%29%2Fx%3Fy%23z\?secret=/);
    expect(uri).toContain('&issuer=Ben%20%26%20Jerry%27s&');
    expect(uri).not.toContain('+');

    const parsed = new URL(uri);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.host).toBe('totp');
    expect(decodeURIComponent(parsed.pathname)).toBe("/Ben & Jerry's:a+b c(1)/x?y#z");
    expect(parsed.searchParams.get('issuer')).toBe("Ben & Jerry's");
  });

  it('encodes non-ASCII names as UTF-8', () => {
    expect(keyUri({ issuer: 'Zürich Bank', account: 'zoë', secret: SECRET })).toMatch(/^otpauth:\/\/totp\/Z%C3%BCrich%20Bank:zo%C3%AB\?/);
  });

  it('carries the secret and the parameters an app needs to compute the same codes', () => {
    const uri = keyUri({ issuer: 'ACME', account: 'bob', secret: SECRET, algorithm: 'sha256', digits: 8, period: 60 });
    const params = new URL(uri).searchParams;
    expect(params.get('algorithm')).toBe('SHA256');
    expect(params.get('digits')).toBe('8');
    expect(params.get('period')).toBe('60');
    const secret = base32Decode(params.get('secret') ?? '');
    expect(Buffer.from(secret).equals(Buffer.from(SECRET))).toBe(true);
    const now = Date.UTC(2030, 0, 1, 12);
    expect(totpAt(secret, now, { algorithm: 'sha256', digits: 8, step: 60 })).toBe(
      totpAt(SECRET, now, { algorithm: 'sha256', digits: 8, step: 60 }),
    );
  });

  it('refuses a colon in the issuer or account, and empty names', () => {
    expect(() => keyUri({ issuer: 'ACME:EU', account: 'bob', secret: SECRET })).toThrow(ValidationError);
    expect(() => keyUri({ issuer: 'ACME', account: 'corp:bob', secret: SECRET })).toThrow(ValidationError);
    expect(() => keyUri({ issuer: ' ', account: 'bob', secret: SECRET })).toThrow(ValidationError);
    expect(() => keyUri({ issuer: 'ACME', account: '', secret: SECRET })).toThrow(ValidationError);
  });
});

describe('R5 key URI as a QR code', () => {
  const uri = keyUri({ issuer: 'ACME', account: 'alice@example.com', secret: SECRET });

  it('renders an SVG document', async () => {
    const svg = await qrSvg(uri);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toMatch(/<path[^>]+d="M/);
    expect(svg.trimEnd()).toMatch(/<\/svg>$/);
    // A different URI draws a different code.
    expect(await qrSvg(keyUri({ issuer: 'ACME', account: 'bob@example.com', secret: SECRET }))).not.toBe(svg);
  });

  it('renders a PNG data URL', async () => {
    const url = await qrPngDataUrl(uri);
    const match = /^data:image\/png;base64,([A-Za-z0-9+/]+=*)$/.exec(url);
    expect(match).not.toBeNull();
    const png = Buffer.from(match?.[1] ?? '', 'base64');
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    // Width and height (IHDR, big-endian) are equal: a QR code is square.
    expect(png.readUInt32BE(16)).toBe(png.readUInt32BE(20));
    expect(png.readUInt32BE(16)).toBeGreaterThan(100);
  });
});
