import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { PinpointSMSVoiceV2Client, SendTextMessageCommand, ValidationException } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { InvalidParameterException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { KmsSecretBox } from '../../shared/adapters/secrets/kms-secret-box';
import { LocalSecretBox } from '../../shared/adapters/secrets/local-secret-box';
import { EndUserMessagingSmsSender } from '../../shared/adapters/sms/eum-sms-sender';
import { FailoverSmsSender } from '../../shared/adapters/sms/failover-sms-sender';
import { SnsSmsSender } from '../../shared/adapters/sms/sns-sms-sender';
import { appSecretContext } from '../../shared/domain/otp/records';
import { SilentLog } from '../support/fakes';

const region = 'eu-west-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const message = { to: '+14155550100', body: '123456 is your verification code.' };

const snsMock = mockClient(SNSClient);
const eumMock = mockClient(PinpointSMSVoiceV2Client);
const kmsMock = mockClient(KMSClient);

beforeEach(() => {
  snsMock.reset();
  eumMock.reset();
  kmsMock.reset();
});

const SNS_REQUEST = {
  PhoneNumber: '+14155550100',
  Message: '123456 is your verification code.',
  MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
};

const EUM_REQUEST = {
  DestinationPhoneNumber: '+14155550100',
  MessageBody: '123456 is your verification code.',
  MessageType: 'TRANSACTIONAL',
  TimeToLive: 180,
};

describe('R16 SnsSmsSender', () => {
  it('publishes a transactional SMS to the number', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'sns-1' });
    const sender = new SnsSmsSender(new SNSClient({ region, credentials }));
    await expect(sender.send(message)).resolves.toEqual({ provider: 'sns', messageId: 'sns-1' });
    expect(snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([SNS_REQUEST]);
  });

  it('throws when SNS accepts no message', async () => {
    snsMock.on(PublishCommand).resolves({});
    const sender = new SnsSmsSender(new SNSClient({ region, credentials }));
    await expect(sender.send(message)).rejects.toThrow(/no message/);
  });
});

describe('R16 EndUserMessagingSmsSender', () => {
  it('sends a transactional text that lives no longer than the code', async () => {
    eumMock.on(SendTextMessageCommand).resolves({ MessageId: 'eum-1' });
    const sender = new EndUserMessagingSmsSender(new PinpointSMSVoiceV2Client({ region, credentials }));
    await expect(sender.send(message)).resolves.toEqual({ provider: 'end-user-messaging', messageId: 'eum-1' });
    expect(eumMock.commandCalls(SendTextMessageCommand).map((c) => c.args[0].input)).toEqual([EUM_REQUEST]);
  });

  it('sends from the configured origination identity', async () => {
    eumMock.on(SendTextMessageCommand).resolves({ MessageId: 'eum-2' });
    const sender = new EndUserMessagingSmsSender(new PinpointSMSVoiceV2Client({ region, credentials }), 'pool-123');
    await sender.send(message);
    expect(eumMock.commandCalls(SendTextMessageCommand).map((c) => c.args[0].input)).toEqual([
      { ...EUM_REQUEST, OriginationIdentity: 'pool-123' },
    ]);
  });

  it('throws when End User Messaging accepts no message', async () => {
    eumMock.on(SendTextMessageCommand).resolves({});
    const sender = new EndUserMessagingSmsSender(new PinpointSMSVoiceV2Client({ region, credentials }));
    await expect(sender.send(message)).rejects.toThrow(/no message/);
  });
});

describe('R16 FailoverSmsSender over SNS and End User Messaging', () => {
  const failover = (log = new SilentLog()) =>
    new FailoverSmsSender(
      [
        new SnsSmsSender(new SNSClient({ region, credentials })),
        new EndUserMessagingSmsSender(new PinpointSMSVoiceV2Client({ region, credentials }), 'pool-123'),
      ],
      log,
    );

  it('uses SNS alone when it accepts', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'sns-1' });
    await expect(failover().send(message)).resolves.toEqual({ provider: 'sns', messageId: 'sns-1' });
    expect(eumMock.commandCalls(SendTextMessageCommand)).toHaveLength(0);
  });

  it('falls over to End User Messaging when SNS refuses', async () => {
    snsMock.on(PublishCommand).rejects(new Error('Throttling'));
    eumMock.on(SendTextMessageCommand).resolves({ MessageId: 'eum-1' });
    const log = new SilentLog();
    await expect(failover(log).send(message)).resolves.toEqual({ provider: 'end-user-messaging', messageId: 'eum-1' });
    expect(snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([SNS_REQUEST]);
    expect(eumMock.commandCalls(SendTextMessageCommand).map((c) => c.args[0].input)).toEqual([
      { ...EUM_REQUEST, OriginationIdentity: 'pool-123' },
    ]);
    expect(log.entries).toEqual([expect.objectContaining({ level: 'warn', extra: [expect.objectContaining({ provider: 'sns' })] })]);
    expect(JSON.stringify(log.entries)).not.toContain('4155550100');
  });

  it('R28: logs a provider error without the destination number, in whatever form the provider repeats it', async () => {
    snsMock.on(PublishCommand).rejects(
      new InvalidParameterException({ message: 'Invalid parameter: PhoneNumber Reason: +14155550100 is not valid to publish to', $metadata: {} }),
    );
    eumMock.on(SendTextMessageCommand).rejects(
      new ValidationException({ message: 'DestinationPhoneNumber 14155550100 (1 415-555-0100) is not valid', Reason: 'INVALID_PARAMETER', $metadata: {} }),
    );
    const log = new SilentLog();
    await expect(failover(log).send(message)).rejects.toThrow(AggregateError);
    expect(log.entries).toHaveLength(2);
    expect(log.entries[0]).toMatchObject({ level: 'warn', extra: [{ provider: 'sns', error: expect.stringContaining('InvalidParameterException') }] });
    const logged = JSON.stringify(log.entries);
    for (const form of ['4155550100', '415-555-0100', '5550100']) expect(logged).not.toContain(form);
  });

  it('throws an AggregateError with both causes when both refuse', async () => {
    const snsError = new Error('SNS down');
    const eumError = new Error('EUM down');
    snsMock.on(PublishCommand).rejects(snsError);
    eumMock.on(SendTextMessageCommand).rejects(eumError);
    const error = await failover().send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['SNS down', 'EUM down']);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(eumMock.commandCalls(SendTextMessageCommand)).toHaveLength(1);
  });

  it('names itself after its route', () => {
    expect(failover().name).toBe('sns>end-user-messaging');
    expect(() => new FailoverSmsSender([], new SilentLog())).toThrow();
  });
});

describe('R28 KmsSecretBox', () => {
  const keyId = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const totp = appSecretContext('tn_a', 'prov:pv_1', 'alice');

  it('R28: encrypts with the kind of secret and the tenant as encryption context, plus the record it belongs to', async () => {
    kmsMock.on(EncryptCommand).resolves({ CiphertextBlob: Uint8Array.from([1, 2, 3, 250]) });
    const box = new KmsSecretBox(new KMSClient({ region, credentials }), keyId);
    const plaintext = Uint8Array.from([9, 8, 7]);
    await expect(box.encrypt(plaintext, totp)).resolves.toBe(`kms2.${Buffer.from([1, 2, 3, 250]).toString('base64url')}`);
    expect(kmsMock.commandCalls(EncryptCommand).map((c) => c.args[0].input)).toEqual([
      {
        KeyId: keyId,
        Plaintext: plaintext,
        EncryptionContext: { purpose: 'totp-secret', tenantId: 'tn_a', binding: 'otp:app:tn_a:prov:pv_1:alice' },
      },
    ]);
  });

  it('R28: a service-wide secret names its kind and no tenant', async () => {
    kmsMock.on(EncryptCommand).resolves({ CiphertextBlob: Uint8Array.from([1]) });
    const box = new KmsSecretBox(new KMSClient({ region, credentials }), keyId);
    await box.encrypt(Uint8Array.from([1]), { kind: 'code-hmac-key', binding: 'code-hmac-key' });
    expect(kmsMock.commandCalls(EncryptCommand)[0]?.args[0].input.EncryptionContext).toEqual({ purpose: 'code-hmac-key', binding: 'code-hmac-key' });
  });

  it('decrypts with the key and the same encryption context', async () => {
    kmsMock.on(DecryptCommand).resolves({ Plaintext: Uint8Array.from([9, 8, 7]) });
    const box = new KmsSecretBox(new KMSClient({ region, credentials }), keyId);
    const ciphertext = `kms2.${Buffer.from([1, 2, 3, 250]).toString('base64url')}`;
    await expect(box.decrypt(ciphertext, totp)).resolves.toEqual(Uint8Array.from([9, 8, 7]));
    const [call] = kmsMock.commandCalls(DecryptCommand);
    expect(call?.args[0].input).toEqual({
      KeyId: keyId,
      CiphertextBlob: Buffer.from([1, 2, 3, 250]),
      EncryptionContext: { purpose: 'totp-secret', tenantId: 'tn_a', binding: 'otp:app:tn_a:prov:pv_1:alice' },
    });
  });

  it('R28 migration: a secret sealed before kinds existed (kms.) opens with the context it was sealed with', async () => {
    kmsMock.on(DecryptCommand).resolves({ Plaintext: Uint8Array.from([9, 8, 7]) });
    const box = new KmsSecretBox(new KMSClient({ region, credentials }), keyId);
    const ciphertext = `kms.${Buffer.from([1, 2, 3, 250]).toString('base64url')}`;
    await expect(box.decrypt(ciphertext, totp)).resolves.toEqual(Uint8Array.from([9, 8, 7]));
    expect(kmsMock.commandCalls(DecryptCommand)[0]?.args[0].input.EncryptionContext).toEqual({ purpose: 'otp:app:tn_a:prov:pv_1:alice' });
  });

  it('refuses a ciphertext that is not its own without calling KMS', async () => {
    const box = new KmsSecretBox(new KMSClient({ region, credentials }), keyId);
    await expect(box.decrypt('v1.aaa.bbb.ccc', totp)).rejects.toThrow(/format/);
    expect(kmsMock.calls()).toHaveLength(0);
  });

  it('passes a KMS refusal on', async () => {
    kmsMock.on(DecryptCommand).rejects(new Error('InvalidCiphertextException'));
    const box = new KmsSecretBox(new KMSClient({ region, credentials }), keyId);
    await expect(box.decrypt('kms2.AQID', totp)).rejects.toThrow('InvalidCiphertextException');
  });
});

const SIGNING = { kind: 'assertion-signing-key', binding: 'assertion-signing-key' } as const;
const CODE = { kind: 'code-hmac-key', binding: 'code-hmac-key' } as const;

describe('R28 LocalSecretBox', () => {
  const masterKey = randomBytes(32).toString('base64');
  const plaintext = Buffer.from('{"kty":"EC","d":"private"}');

  it('round-trips, with a fresh IV each time', async () => {
    const box = new LocalSecretBox(masterKey);
    const a = await box.encrypt(plaintext, SIGNING);
    const b = await box.encrypt(plaintext, SIGNING);
    expect(a).not.toBe(b);
    expect(a).not.toContain('private');
    expect(Buffer.from(await box.decrypt(a, SIGNING))).toEqual(plaintext);
  });

  it('refuses a ciphertext made for another purpose', async () => {
    const box = new LocalSecretBox(masterKey);
    const sealed = await box.encrypt(plaintext, CODE);
    await expect(box.decrypt(sealed, SIGNING)).rejects.toThrow();
  });

  it.each([1, 2, 3])('refuses a ciphertext with part %i tampered', async (part) => {
    const box = new LocalSecretBox(masterKey);
    const parts = (await box.encrypt(plaintext, CODE)).split('.');
    const bytes = Buffer.from(parts[part] ?? '', 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 0x01;
    parts[part] = bytes.toString('base64url');
    await expect(box.decrypt(parts.join('.'), CODE)).rejects.toThrow();
  });

  it('refuses a ciphertext under another master key, or in another format', async () => {
    const sealed = await new LocalSecretBox(masterKey).encrypt(plaintext, CODE);
    await expect(new LocalSecretBox(randomBytes(32).toString('base64')).decrypt(sealed, CODE)).rejects.toThrow();
    await expect(new LocalSecretBox(masterKey).decrypt('kms.AQID', CODE)).rejects.toThrow(/format/);
  });

  it('refuses a master key that is not 32 bytes', () => {
    expect(() => new LocalSecretBox(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  });
});
