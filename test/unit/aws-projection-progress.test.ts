import { GetEventSourceMappingCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsProjectionProgress } from '../../shared/adapters/projection/aws-projection-progress';
import { BILLING_AFTER_MONTH_END_HOURS, PROJECTION_MAX_RECORD_AGE_HOURS } from '../../shared/rules';

const UUID = '6d9c4a6e-1f3b-4c55-9a1e-2b7f0c3d4e5f';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/tessera-dev-ProjectionFailures';
const MONTH_END = '2026-03-01T00:00:00.000Z';
const HOUR = 3600_000;

/** GetEventSourceMapping's answer for a DynamoDB stream mapping, as the Lambda API documents it. */
const mapping = (State: string, changes: { LastModified?: Date; LastProcessingResult?: string } = {}) => ({
  UUID,
  State,
  LastModified: new Date('2026-01-15T09:30:00.000Z'),
  StateTransitionReason: 'User action',
  BatchSize: 100,
  StartingPosition: 'TRIM_HORIZON' as const,
  EventSourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/Challenges/stream/2026-01-01T00:00:00.000',
  FunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ChallengeProjection',
  LastProcessingResult: 'OK',
  ...changes,
});

/** GetQueueAttributes' answer: every attribute a string. */
const attributes = (visible: number, inFlight = 0, delayed = 0) => ({
  Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(inFlight), ApproximateNumberOfMessagesDelayed: String(delayed) },
});

describe('AwsProjectionProgress (R24: the billing run waits for the challenge projection on AWS)', () => {
  const lambda = mockClient(LambdaClient);
  const sqs = mockClient(SQSClient);
  let now = Date.parse(MONTH_END) + 8 * HOUR;
  const progress = new AwsProjectionProgress({
    lambda: new LambdaClient({}),
    sqs: new SQSClient({}),
    clock: { now: () => now },
    eventSourceId: UUID,
    failureQueueUrl: QUEUE,
  });

  beforeEach(() => {
    lambda.reset();
    sqs.reset();
    now = Date.parse(MONTH_END) + 8 * HOUR;
    lambda.on(GetEventSourceMappingCommand).resolves(mapping('Enabled'));
    sqs.on(GetQueueAttributesCommand).resolves(attributes(0));
  });

  it('caught up: the record age has passed since the month end, the event source is enabled and the failure queue is empty', async () => {
    expect(BILLING_AFTER_MONTH_END_HOURS).toBeGreaterThan(PROJECTION_MAX_RECORD_AGE_HOURS);
    await expect(progress.caughtUpTo(MONTH_END)).resolves.toEqual({ caughtUp: true });
    expect(lambda.commandCalls(GetEventSourceMappingCommand)[0]?.args[0].input).toEqual({ UUID });
    expect(sqs.commandCalls(GetQueueAttributesCommand)[0]?.args[0].input).toEqual({
      QueueUrl: QUEUE,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    });
  });

  it('not before the record age (and an hour) has passed since the month end: a change of the month may still be retried', async () => {
    now = Date.parse(MONTH_END) + BILLING_AFTER_MONTH_END_HOURS * HOUR - 1;
    const early = await progress.caughtUpTo(MONTH_END);
    expect(early).toEqual({ caughtUp: false, reason: `changes made before ${MONTH_END} may still be retried until 2026-03-01T07:00:00.000Z`, retryAfterSeconds: 1 });
    expect(lambda.commandCalls(GetEventSourceMappingCommand)).toHaveLength(0);
    now += 1;
    await expect(progress.caughtUpTo(MONTH_END)).resolves.toEqual({ caughtUp: true });
  });

  it.each(['Disabled', 'Disabling', 'Enabling', 'Updating', 'Creating'])('not while the event source is %s (it may not have read the month)', async (state) => {
    lambda.on(GetEventSourceMappingCommand).resolves(mapping(state));
    await expect(progress.caughtUpTo(MONTH_END)).resolves.toEqual({ caughtUp: false, reason: `the projection's event source is ${state}, not Enabled`, retryAfterSeconds: 900 });
  });

  it.each([
    ['visible', attributes(1), 1],
    ['being looked at', attributes(0, 2), 2],
    ['delayed', attributes(0, 0, 1), 1],
  ])('not while the failure queue holds a range (%s): it must be replayed first', async (_state, answer, count) => {
    sqs.on(GetQueueAttributesCommand).resolves(answer);
    const outcome = await progress.caughtUpTo(MONTH_END);
    expect(outcome).toEqual({ caughtUp: false, reason: `the projection's failure queue holds ${count} stream range(s) it gave up on: replay them first (docs/architecture.md)`, retryAfterSeconds: 900 });
  });

  it('not while the event source was changed (disabled and enabled again, reconfigured) less than that long ago: it resumes from where it stopped', async () => {
    const changed = new Date(now - BILLING_AFTER_MONTH_END_HOURS * HOUR + 60_000);
    lambda.on(GetEventSourceMappingCommand).resolves(mapping('Enabled', { LastModified: changed }));
    await expect(progress.caughtUpTo(MONTH_END)).resolves.toEqual({
      caughtUp: false,
      reason: `the projection's event source was changed at ${changed.toISOString()}: it may not yet have reached every change it will project or give up on`,
      retryAfterSeconds: 60,
    });
    expect(sqs.commandCalls(GetQueueAttributesCommand)).toHaveLength(0);
    lambda.on(GetEventSourceMappingCommand).resolves(mapping('Enabled', { LastModified: new Date(now - BILLING_AFTER_MONTH_END_HOURS * HOUR) }));
    await expect(progress.caughtUpTo(MONTH_END)).resolves.toEqual({ caughtUp: true });
  });

  it('not while the last invocation failed: its batch is being retried', async () => {
    lambda.on(GetEventSourceMappingCommand).resolves(mapping('Enabled', { LastProcessingResult: 'PROBLEM: Function call failed' }));
    await expect(progress.caughtUpTo(MONTH_END)).resolves.toEqual({
      caughtUp: false,
      reason: "the projection's last invocation failed (PROBLEM: Function call failed)",
      retryAfterSeconds: 900,
    });
  });

  it('an event source that no longer exists fails the run (an error, not a bill)', async () => {
    lambda.on(GetEventSourceMappingCommand).rejects(new ResourceNotFoundException({ message: 'The resource you requested does not exist.', $metadata: { httpStatusCode: 404 } }));
    await expect(progress.caughtUpTo(MONTH_END)).rejects.toThrow(ResourceNotFoundException);
  });
});
