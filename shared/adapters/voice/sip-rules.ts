import { CreateSipRuleCommand, DeleteSipRuleCommand, UpdateSipRuleCommand, type ChimeSDKVoiceClient } from '@aws-sdk/client-chime-sdk-voice';
import * as z from '../../zod';

/**
 * R15: the SIP rule of one caller-ID number, as a CloudFormation custom resource (no
 * CloudFormation resource type manages Chime SDK SIP rules). A rule routes calls *to* the number
 * into the SIP media application, whose handler tells a caller who dials back that the number
 * takes no calls. Create makes the rule; Update renames or retargets it in place; Delete disables
 * it, as Chime requires, then deletes it.
 */
export const sipRuleProperties = z.object({
  Name: z.string().check(z.regex(/^[a-zA-Z0-9 _.-]{1,256}$/)),
  PhoneNumber: z.string().check(z.regex(/^\+[1-9]\d{6,14}$/)),
  SipMediaApplicationId: z.string().check(z.minLength(1)),
  AwsRegion: z.string().check(z.minLength(1)),
});

export type SipRuleProperties = z.infer<typeof sipRuleProperties>;

/** The fields of a CloudFormation custom resource request this handler reads. */
export const customResourceEvent = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.string().check(z.url()),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.optional(z.string()),
  ResourceProperties: z.record(z.string(), z.unknown()),
  /** Sent with Update only: the properties before the change. */
  OldResourceProperties: z.optional(z.record(z.string(), z.unknown())),
});

export type CustomResourceEvent = z.infer<typeof customResourceEvent>;

/** Runs the request; returns the SIP rule id, which becomes the resource's physical id. */
export async function applySipRule(chime: ChimeSDKVoiceClient, event: CustomResourceEvent): Promise<string> {
  if (event.RequestType === 'Delete') {
    const id = event.PhysicalResourceId;
    // A Create that failed has no rule: CloudFormation still sends Delete with our placeholder id.
    if (!id || !id.startsWith('sip-rule:')) return id ?? 'none';
    const sipRuleId = id.slice('sip-rule:'.length);
    const { Name } = z.pick(sipRuleProperties, { Name: true }).parse(event.ResourceProperties);
    // A rule already gone (deleted by hand, or by an earlier attempt) is what Delete wants.
    await ignoreNotFound(chime.send(new UpdateSipRuleCommand({ SipRuleId: sipRuleId, Name, Disabled: true })));
    await ignoreNotFound(chime.send(new DeleteSipRuleCommand({ SipRuleId: sipRuleId })));
    return id;
  }
  const props = sipRuleProperties.parse(event.ResourceProperties);
  const targetApplications = [{ SipMediaApplicationId: props.SipMediaApplicationId, Priority: 1, AwsRegion: props.AwsRegion }];
  if (event.RequestType === 'Update' && event.PhysicalResourceId?.startsWith('sip-rule:')) {
    const old = sipRuleProperties.safeParse(event.OldResourceProperties);
    // A new number is a new rule: returning another id makes CloudFormation delete the old one.
    if (!old.success || old.data.PhoneNumber === props.PhoneNumber) {
      const sipRuleId = event.PhysicalResourceId.slice('sip-rule:'.length);
      await chime.send(new UpdateSipRuleCommand({ SipRuleId: sipRuleId, Name: props.Name, Disabled: false, TargetApplications: targetApplications }));
      return event.PhysicalResourceId;
    }
  }
  const out = await chime.send(
    new CreateSipRuleCommand({ Name: props.Name, TriggerType: 'ToPhoneNumber', TriggerValue: props.PhoneNumber, TargetApplications: targetApplications }),
  );
  const id = out.SipRule?.SipRuleId;
  if (!id) throw new Error('Chime created no SIP rule');
  return `sip-rule:${id}`;
}

async function ignoreNotFound(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if ((error as { name?: string }).name !== 'NotFoundException') throw error;
  }
}

/** The answer CloudFormation waits for, PUT to the request's pre-signed URL. */
export async function respondToCloudFormation(
  event: CustomResourceEvent,
  result: { ok: true; physicalId: string } | { ok: false; physicalId: string; reason: string },
  put: (url: string, body: string) => Promise<void>,
): Promise<void> {
  const body = JSON.stringify({
    Status: result.ok ? 'SUCCESS' : 'FAILED',
    ...(result.ok ? {} : { Reason: result.reason.slice(0, 1000) }),
    PhysicalResourceId: result.physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  await put(event.ResponseURL, body);
}
