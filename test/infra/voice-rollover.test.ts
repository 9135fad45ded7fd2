import { Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../shared/config';
import { LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN, VOICE_STATES } from '../../shared/voice/state-machine';
import { VOICE_CALL_TIMEOUT_SECONDS } from '../../shared/voice/rules';
import { buildTestApp, logicalId } from './support';

type Props = Record<string, unknown>;
type State = Record<string, unknown>;

describe('voice rollover state machine (R10–R14)', () => {
  const built = buildTestApp();
  const { api } = built;
  const template = Template.fromStack(api);
  const machines = Object.fromEntries(Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) => id.startsWith('VoiceStateMachine')));
  const [machine] = Object.values(machines).map((m) => m.Properties as Props);
  const fnId = (name: 'voice-place-call' | 'voice-finish' | 'voice-call-events') => logicalId(api, api.functions.get(name)!.function);

  /** The deployed definition, with the substitutions CDK passes to CloudFormation. */
  const definition = (): { States: Record<string, State> } => {
    const body = machine!.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
    const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '"<ref>"')).join('');
    return JSON.parse(text) as { States: Record<string, State> };
  };

  it('is one Standard workflow (beside the bulk jobs\' own machine): only Standard supports .waitForTaskToken', () => {
    expect(Object.keys(machines)).toHaveLength(1);
    expect(machine!.StateMachineType).toBe('STANDARD');
  });

  it('R28: logs ALL events to its own log group without execution data (numbers, task tokens)', () => {
    expect(machine!.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
  });

  it('traces with X-Ray', () => {
    expect(machine!.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('substitutes the place-call and finish function ARNs into the shared definition', () => {
    expect(machine!.DefinitionSubstitutions).toEqual({
      PlaceCallFunctionArn: { 'Fn::GetAtt': [fnId('voice-place-call'), 'Arn'] },
      FinishFunctionArn: { 'Fn::GetAtt': [fnId('voice-finish'), 'Arn'] },
    });
    expect(JSON.stringify(definition())).toContain('${PlaceCallFunctionArn}');
  });

  it('every task has a TimeoutSeconds, and every .waitForTaskToken task one no longer than the call timeout', () => {
    const tasks = Object.entries(definition().States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(3);
    for (const [, state] of tasks) expect(state.TimeoutSeconds).toEqual(expect.any(Number));
    const waits = tasks.filter(([, s]) => s.Resource === LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN);
    expect(waits.map(([name]) => name)).toEqual([VOICE_STATES.placeCall]);
    for (const [, state] of waits) expect(state.TimeoutSeconds).toBe(VOICE_CALL_TIMEOUT_SECONDS);
  });

  it('the machine may invoke exactly its two functions, no version or alias wildcard', () => {
    const role = (machine!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: role })),
    );
    const invokes = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    const resources = invokes.flatMap((s) => [s.Resource].flat()).map((r) => JSON.stringify(r));
    expect(resources.sort()).toEqual(
      [{ 'Fn::GetAtt': [fnId('voice-place-call'), 'Arn'] }, { 'Fn::GetAtt': [fnId('voice-finish'), 'Arn'] }].map((r) => JSON.stringify(r)).sort(),
    );
  });

  it('R10: the SIP media application sends call events to the call handler, which Chime may invoke', () => {
    template.hasResourceProperties('AWS::Chime::SipMediaApplication', {
      Endpoints: [{ LambdaArn: { 'Fn::GetAtt': [fnId('voice-call-events'), 'Arn'] } }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [fnId('voice-call-events'), 'Arn'] },
      Principal: 'voiceconnector.chime.amazonaws.com',
    });
  });

  it('place-call learns the SIP media application; create-challenge learns the state machine', () => {
    const env = (name: 'voice-place-call' | 'create-challenge') =>
      ((template.findResources('AWS::Lambda::Function')[logicalId(api, api.functions.get(name)!.function)]!.Properties as Props).Environment as {
        Variables: Props;
      }).Variables;
    expect(env('voice-place-call')[ENV.voiceSipMediaApplicationId]).toEqual({
      'Fn::GetAtt': [api.getLogicalId(api.voice.sipMediaApplication), 'SipMediaApplicationId'],
    });
    expect(env('create-challenge')[ENV.voiceStateMachineArn]).toEqual({ Ref: logicalId(api, api.voice.stateMachine) });
  });
});
