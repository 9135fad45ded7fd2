import { marshall } from '@aws-sdk/util-dynamodb';
import { AUDITS_ATTRIBUTE, auditsOfItem, storedAudits } from '../../shared/adapters/dynamo/challenge-audits';
import { auditsOfChange, changeOfRecord } from '../../shared/adapters/dynamo/challenge-projection';
import type { Audit } from '../../shared/ports';

/** R23/R24: what a challenge item carries of its latest change, and what the stream projection reads back. */
const challenge = { pk: 'ch_1', challengeId: 'ch_1', tenantId: 'tn_1', userId: 'u1', method: 'sms', status: 'pending', audit: {} };

const audit = (logId: string, result: 'sent' | 'approved' | 'failed', extra: Partial<Audit> = {}): Audit => ({
  log: { logId, tenantId: 'tn_1', challengeId: 'ch_1', time: '2031-03-04T10:00:00.000Z', userId: 'u1', method: 'sms', event: 'challenge', result, apiKeyId: 'k', apiKeyName: 'key', phone: '••••1000' },
  usage: [{ tenantId: 'tn_1', day: '2031-03-04', method: 'sms', result, delta: 1 }],
  ...extra,
});

describe('challenge audits on the item', () => {
  it('reads back exactly the audits stored, without repeating the tenant and challenge id', () => {
    const audits = [
      audit('lg_1', 'sent', { billedTo: 'pv_1' }),
      // A count on another day or method than the line's is kept as given.
      audit('lg_2', 'failed', { usage: [{ tenantId: 'tn_1', day: '2031-03-05', method: 'voice', result: 'sent', delta: -1 }] }),
    ];
    const stored = storedAudits(challenge, audits);
    expect(JSON.stringify(stored)).not.toContain('tn_1');
    expect(JSON.stringify(stored)).not.toContain('ch_1');
    expect(JSON.stringify(stored)).not.toContain('"u1"');
    expect(auditsOfItem({ ...challenge, [AUDITS_ATTRIBUTE]: stored })).toEqual(audits);
  });

  it('refuses an audit of another challenge or tenant rather than log it under this one', () => {
    expect(() => storedAudits({ challengeId: 'ch_2', tenantId: 'tn_1', userId: 'u1' }, [audit('lg_1', 'sent')])).toThrow();
    expect(() => storedAudits({ challengeId: 'ch_1', tenantId: 'tn_2', userId: 'u1' }, [audit('lg_1', 'sent')])).toThrow();
    expect(() => storedAudits({ challengeId: 'ch_1', tenantId: 'tn_1', userId: 'u2' }, [audit('lg_1', 'sent')])).toThrow();
    const foreignCount = audit('lg_1', 'sent', { usage: [{ tenantId: 'tn_2', day: '2031-03-04', method: 'sms', result: 'sent', delta: 1 }] });
    expect(() => storedAudits({ challengeId: 'ch_1', tenantId: 'tn_1', userId: 'u1' }, [foreignCount])).toThrow();
  });

  it('leaves out the names, email and client address the item\'s audit copy holds, and puts them back on reading', () => {
    const copy = { firstName: 'Maximiliane', lastName: 'Oberhauser-Lindqvist', email: 'maximiliane.oberhauser-lindqvist@example.com', clientIp: '2001:db8:85a3::8a2e:370:7334' };
    const item = { ...challenge, audit: copy };
    const withNames = (logId: string): Audit => {
      const a = audit(logId, 'sent');
      return { ...a, log: { ...a.log, ...copy } };
    };
    const stored = storedAudits(item, [withNames('lg_1')]);
    for (const value of Object.values(copy)) expect(JSON.stringify(stored)).not.toContain(value);
    expect(auditsOfItem({ ...item, [AUDITS_ATTRIBUTE]: stored })).toEqual([withNames('lg_1')]);
    // A line that disagrees with the copy (another user's name, no client address) is a bug: refused.
    expect(() => storedAudits(item, [{ ...withNames('lg_2'), log: { ...withNames('lg_2').log, firstName: 'Eve' } }])).toThrow();
    expect(() => storedAudits(item, [audit('lg_3', 'sent')])).toThrow();
    // A line stored whole (before the fields were left out) reads back as it was.
    const whole = [{ l: { ...withNames('lg_4').log, tenantId: undefined, challengeId: undefined }, u: [{ r: 'sent', d: 1 }] }];
    expect(auditsOfItem({ ...item, audit: {}, [AUDITS_ATTRIBUTE]: JSON.parse(JSON.stringify(whole)) })).toEqual([withNames('lg_4')]);
  });

  it('an item without audits (an idempotency record, another store\'s item) carries none', () => {
    expect(auditsOfItem({ pk: 'idem#x', tenantId: 'tn_1' })).toEqual([]);
    expect(auditsOfItem(undefined)).toEqual([]);
  });
});

describe('the audits a stream record brings', () => {
  const record = (newImage?: Record<string, unknown>, oldImage?: Record<string, unknown>) =>
    changeOfRecord({ dynamodb: { SequenceNumber: '1', ...(newImage ? { NewImage: marshall(newImage) } : {}), ...(oldImage ? { OldImage: marshall(oldImage) } : {}) } });
  const created = { ...challenge, [AUDITS_ATTRIBUTE]: storedAudits(challenge, [audit('lg_1', 'sent')]) };
  const approved = { ...created, status: 'approved', [AUDITS_ATTRIBUTE]: storedAudits(challenge, [audit('lg_2', 'approved')]) };

  it('a create brings its audits; a change brings those the old image did not carry', () => {
    expect(auditsOfChange(record(created)).map((a) => a.log.logId)).toEqual(['lg_1']);
    expect(auditsOfChange(record(approved, created)).map((a) => a.log.logId)).toEqual(['lg_2']);
  });

  it('a change without audits of its own (a voice attempt recorded) and a deletion (TTL) bring none', () => {
    expect(auditsOfChange(record({ ...approved, voice: { attempts: [] } }, approved))).toEqual([]);
    expect(auditsOfChange(record(undefined, approved))).toEqual([]);
  });

  it('reads an empty map as the stream client hands it over ({} rather than {"M":{}})', () => {
    const change = changeOfRecord({ dynamodb: { SequenceNumber: '7', NewImage: { ...marshall(created), audit: {} } } });
    expect(change.newImage?.audit).toEqual({});
    expect(auditsOfChange(change).map((a) => a.log.logId)).toEqual(['lg_1']);
  });
});
