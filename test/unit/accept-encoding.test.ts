import { acceptsGzip } from '../../shared/http/accept-encoding';

describe('Accept-Encoding (RFC 9110, 12.5.3): may the answer go out gzip-compressed?', () => {
  it.each([
    ['gzip', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['gzip, deflate, br, zstd', true],
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
    ['deflate, *', true],
    ['gzip;q=0.001', true],
    ['gzip;q=1.000', true],
    ['gzip;Q=0.5', true],
    [' gzip ; q=0.5 ', true],
    ['gzip, identity;q=0', true],
    [undefined, false],
    ['', false],
    ['identity', false],
    ['br, deflate', false],
    ['gzip;q=0', false],
    ['gzip;q=0.000', false],
    ['gzip;q=0, *', false],
    ['*;q=0', false],
    ['gzip;q=nonsense', false],
    // Weights outside RFC 9110's grammar: spaces around "=", a fourth decimal, above 1, exponents, hex.
    ['gzip;q = 0.5', false],
    ['gzip;q=0.0001', false],
    ['gzip;q=1.5', false],
    ['gzip;q=1e-9', false],
    ['gzip;q=0x1', false],
    ['gzip;q=.5', false],
    // Named twice (x-gzip is gzip): the refusal stands.
    ['gzip;q=0, x-gzip', false],
    ['x-gzip, gzip;q=0', false],
    [',,;', false],
  ])('%j accepts gzip: %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
