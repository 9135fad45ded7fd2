import { CustomResource, Stack, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as chime from 'aws-cdk-lib/aws-chime';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../shared/config';
import { voiceRolloverDefinition } from '../shared/voice/state-machine';
import type { TesseraFunction } from './function';

/** Placeholders in the definition that CDK replaces with the functions' ARNs. */
export const VOICE_DEFINITION_RESOURCES = {
  placeCallResource: '${PlaceCallFunctionArn}',
  finishResource: '${FinishFunctionArn}',
} as const;

export interface VoiceRolloverProps {
  readonly stage: string;
  /** Places one call (the `.waitForTaskToken` task). */
  readonly placeCall: TesseraFunction;
  /** The SIP media application's handler: reports each call's outcome. */
  readonly callEvents: TesseraFunction;
  /** Records progress and the result. */
  readonly finish: TesseraFunction;
  /** The custom resource handler that manages the caller IDs' SIP rules (deploy time only). */
  readonly sipRules: TesseraFunction;
  readonly removalPolicy: RemovalPolicy;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /**
   * R15: the Chime SDK phone numbers (E.164) tenants may use as caller IDs. Each gets a SIP rule
   * that routes calls to it into the SIP media application (which tells a caller who dials
   * back that the number takes no calls). Numbers are ordered in Chime first: no CloudFormation
   * resource orders one.
   */
  readonly phoneNumbers?: readonly string[];
}

/**
 * The voice factor on AWS (R10–R15): the rollover state machine, deployed as a Standard workflow
 * (only Standard supports `.waitForTaskToken`) from the one definition in
 * shared/voice/state-machine.ts, with the Lambda ARNs substituted; and the Chime SDK SIP media
 * application whose events drive the call handler. Each function gets only its own voice grant:
 * place-call may create calls on this SIP media application, the call handler may answer this
 * machine's tasks, and the machine may invoke its two functions.
 */
export class VoiceRollover extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly sipMediaApplication: chime.CfnSipMediaApplication;
  readonly logGroup: logs.LogGroup;
  /** One custom resource per caller-ID number: its SIP rule (R15). */
  readonly sipRules: CustomResource[];

  constructor(scope: Construct, id: string, props: VoiceRolloverProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.sipMediaApplication = new chime.CfnSipMediaApplication(this, 'SipMediaApplication', {
      name: `tessera-${props.stage}-voice`,
      awsRegion: stack.region,
      endpoints: [{ lambdaArn: props.callEvents.function.functionArn }],
    });
    props.callEvents.function.addPermission('InvokedByChime', {
      principal: new iam.ServicePrincipal('voiceconnector.chime.amazonaws.com'),
      sourceAccount: stack.account,
    });
    const smaId = this.sipMediaApplication.attrSipMediaApplicationId;
    // No CloudFormation type manages Chime SDK SIP rules: a custom resource of our own does.
    this.sipRules = (props.phoneNumbers ?? []).map((number) => {
      if (!/^\+[1-9]\d{6,14}$/.test(number)) throw new Error(`voicePhoneNumbers: "${number}" is not an E.164 number`);
      return new CustomResource(this, `SipRule${number.slice(1)}`, {
        serviceToken: props.sipRules.function.functionArn,
        resourceType: 'Custom::TesseraSipRule',
        properties: { Name: `tessera-${props.stage}-${number.slice(1)}`, PhoneNumber: number, SipMediaApplicationId: smaId, AwsRegion: stack.region },
      });
    });
    if (this.sipRules.length > 0) {
      const sipRulePolicy = new iam.Policy(this, 'SipRulesPolicy', {
        roles: [props.sipRules.role],
        statements: [new iam.PolicyStatement({ actions: ['chime:CreateSipRule', 'chime:UpdateSipRule', 'chime:DeleteSipRule'], resources: ['*'] })],
      });
      Validations.of(sipRulePolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'A SIP rule has no ARN before CreateSipRule makes it, and Chime SDK voice authorizes its SIP rule actions on Resource "*". ' +
          'Only the deploy-time custom resource handler has this policy, with the three SIP rule actions and nothing else.',
      });
      for (const rule of this.sipRules) rule.node.addDependency(sipRulePolicy);
    }
    props.placeCall.function.addEnvironment(ENV.voiceSipMediaApplicationId, smaId);
    // Policies of their own rather than the roles' default policies, which the functions depend
    // on: the machine names the functions, the SIP media application names the call handler,
    // and these grants name the machine and the application, so default policies would make a cycle.
    new iam.Policy(this, 'PlaceCallPolicy', {
      roles: [props.placeCall.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['chime:CreateSipMediaApplicationCall'],
          resources: [stack.formatArn({ service: 'chime', resource: 'sma', resourceName: smaId })],
        }),
      ],
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Tessera voice rollover (R10–R14)',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(voiceRolloverDefinition(VOICE_DEFINITION_RESOURCES))),
      definitionSubstitutions: {
        PlaceCallFunctionArn: props.placeCall.function.functionArn,
        FinishFunctionArn: props.finish.function.functionArn,
      },
      // R28: execution data holds the phone numbers and task tokens; the log keeps the events only.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      removalPolicy: props.removalPolicy,
    });
    // The exact functions, not `<arn>:*` as grantInvoke would add: no version or alias is ever called.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [props.placeCall.function.functionArn, props.finish.function.functionArn],
      }),
    );
    new iam.Policy(this, 'CallEventsPolicy', {
      roles: [props.callEvents.role],
      statements: [
        new iam.PolicyStatement({
          // SendTaskHeartbeat only asks whether a call's task still waits, so that a call that
          // outlived its task is hung up instead of prompting (the tasks set no HeartbeatSeconds).
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          resources: [this.stateMachine.stateMachineArn],
        }),
      ],
    });

    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions logging to CloudWatch Logs (logs:CreateLogDelivery and the other vended-log delivery actions) ' +
          'and X-Ray tracing (xray:PutTraceSegments, xray:GetSamplingRules, …) support no resource-level permissions: ' +
          'AWS documents Resource "*" for both. The Lambda invocations in this policy name the two functions exactly.',
      });
    }
  }
}
