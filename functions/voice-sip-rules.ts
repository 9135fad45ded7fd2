import { applySipRule, customResourceEvent, respondToCloudFormation } from '../shared/adapters/voice/sip-rules';
import { chimeVoice, log as logger } from '../shared/composition';
import { lambdaHandler } from '../shared/observability';

const chime = chimeVoice();
const log = logger();

async function put(url: string, body: string): Promise<void> {
  // The pre-signed S3 URL expects no content type.
  const response = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!response.ok) throw new Error(`CloudFormation response refused: ${response.status}`);
}

/**
 * Deploy-time only: the custom resource behind each caller-ID number's SIP rule (R15), invoked
 * by CloudFormation. Always answers CloudFormation, so a failure fails the deploy at once
 * instead of leaving the stack waiting an hour.
 */
export const handler = lambdaHandler(async (raw: unknown): Promise<void> => {
  const parsed = customResourceEvent.safeParse(raw);
  if (!parsed.success) {
    // Still answer when the URL can be read, or CloudFormation waits an hour for nothing.
    const url = (raw as { ResponseURL?: unknown } | null)?.ResponseURL;
    log.error('unreadable custom resource event', { issues: parsed.error.issues.length });
    if (typeof url === 'string') await put(url, JSON.stringify({ ...(raw as object), Status: 'FAILED', Reason: 'Unreadable custom resource event', PhysicalResourceId: 'none' }));
    return;
  }
  const event = parsed.data;
  try {
    const physicalId = await applySipRule(chime, event);
    log.info('sip rule applied', { requestType: event.RequestType, physicalId });
    await respondToCloudFormation(event, { ok: true, physicalId }, put);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log.error('sip rule not applied', { requestType: event.RequestType, reason });
    await respondToCloudFormation(event, { ok: false, physicalId: event.PhysicalResourceId ?? 'none', reason }, put);
  }
});
