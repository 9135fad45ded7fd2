/**
 * R18: device activation, apart from the push service (./push-devices.ts) so that the public
 * activation handler carries none of the challenge, user and throttle stores a push's answer
 * and timeout need.
 */
import type { Clock, Log, PushDeviceStore, PushSender, SecretBox, SecretContext, TenantStore } from '../ports';
import { randomId } from './crypto';
import { NotFoundError, UnauthenticatedError } from './errors';
import { generateDeviceKey, hashActivationCode } from './push';
import type { PushDeviceRecord } from './push-records';
import type { PushPlatform } from './types';

/** What a device's key is sealed under: the device, in its tenant. */
export const keyContext = (device: { tenantId: string; deviceId: string }): SecretContext => ({
  kind: 'push-device-key',
  tenantId: device.tenantId,
  binding: `push-device:${device.tenantId}:${device.deviceId}`,
});

export interface PushActivationDeps {
  readonly devices: Pick<PushDeviceStore, 'findActivation' | 'activateDevice'>;
  readonly tenants: Pick<TenantStore, 'getTenant'>;
  readonly sender: Pick<PushSender, 'register'>;
  readonly box: SecretBox;
  readonly clock: Clock;
  readonly log: Log;
}

export class PushActivation {
  constructor(private readonly deps: PushActivationDeps) {}

  /**
   * R18: the phone trades the code for a device id and key. The code is spent in the same
   * transaction that stores the device, so it works once, and a failure before that (the push
   * service refusing or failing to register the token) leaves it for the phone to try again.
   * A code issued under an earlier provider is void.
   */
  async activate(input: { activationCode: string; platform: PushPlatform; pushToken: string }): Promise<{ deviceId: string; deviceKey: string }> {
    const { devices, tenants, sender, box, clock, log } = this.deps;
    const now = clock.now();
    const codeHash = hashActivationCode(input.activationCode);
    const activation = await devices.findActivation(codeHash, now);
    const invalid = 'The activation code is not valid, was already used, or has expired';
    if (!activation) throw new UnauthenticatedError(invalid);
    const tenant = await tenants.getTenant(activation.tenantId);
    if (!tenant?.provider || tenant.provider.generation !== activation.generation) throw new UnauthenticatedError(invalid);
    const deviceId = randomId('dv');
    const key = generateDeviceKey();
    const endpoint = await sender.register({ platform: input.platform, token: input.pushToken, deviceId });
    const device: PushDeviceRecord = {
      deviceId,
      tenantId: activation.tenantId,
      userId: activation.userId,
      space: activation.space,
      generation: activation.generation,
      platform: input.platform,
      endpoint,
      encryptedKey: await box.encrypt(key, keyContext({ tenantId: activation.tenantId, deviceId })),
      activatedAt: new Date(now).toISOString(),
      ...(activation.epoch ? { epoch: activation.epoch } : {}),
    };
    const marker = { deviceId, platform: input.platform, generation: activation.generation, activatedAt: device.activatedAt };
    const outcome = await devices.activateDevice({ codeHash, now }, { tenantId: activation.tenantId, space: activation.space }, device, marker);
    if (outcome === 'code_spent') throw new UnauthenticatedError(invalid);
    if (outcome === 'no_user') throw new NotFoundError('No such user');
    log.info('push device activated', { tenantId: activation.tenantId, userId: activation.userId, deviceId, platform: input.platform });
    return { deviceId, deviceKey: Buffer.from(key).toString('base64url') };
  }
}
