import { sourceOf } from '../../shared/domain/request-caps';

describe('R6: the unit a per-source cap counts', () => {
  it('is the IPv4 address itself', () => {
    expect(sourceOf('203.0.113.7')).toBe('203.0.113.7');
  });

  it('is the /64 of an IPv6 address, so one network cannot pose as many sources', () => {
    const a = sourceOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(a).toBe('2001:db8:1:2::/64');
    expect(sourceOf('2001:0db8:0001:0002::1')).toBe(a);
    expect(sourceOf('2001:DB8:1:2:ffff::')).toBe(a);
    expect(sourceOf('2001:db8:1:3::1')).not.toBe(a);
    expect(sourceOf('::1')).toBe('0:0:0:0::/64');
  });

  it('is the IPv4 address of an IPv4-mapped IPv6 address', () => {
    expect(sourceOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });
});
