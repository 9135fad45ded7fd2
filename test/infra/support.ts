import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type TesseraApp } from '../../infra/tessera-app';
import type { FunctionName } from '../../shared/routes';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The feature flags and settings `cdk synth` uses, so tests build the same app the CLI does. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/**
 * Builds the app as `cdk synth` would. Bundling is skipped unless asked for: esbuild itself
 * takes milliseconds, but CDK starts it through `npx` once per function (over a second each),
 * and nothing in a template assertion depends on the bundle's contents.
 */
export function buildTestApp(context: Record<string, unknown> = {}, options: { bundle?: boolean; outdir?: string } = {}): TesseraApp {
  return buildApp({
    context: {
      ...cdkJsonContext(),
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly Resource: unknown[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Every IAM statement attached to a handler's role, actions and resources as arrays. */
export function statementsOf(built: TesseraApp, template: Template, name: FunctionName): Statement[] {
  const fn = built.api.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  const roleId = logicalId(built.api, fn.role);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
    Properties: { Roles: unknown[]; PolicyDocument: { Statement: Record<string, unknown>[] } };
  }[];
  return policies
    .filter((p) => p.Properties.Roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .map((s) => ({
      Effect: s.Effect as Statement['Effect'],
      Action: asArray(s.Action as string | string[]),
      Resource: asArray(s.Resource),
      ...(s.Condition ? { Condition: s.Condition as Statement['Condition'] } : {}),
    }));
}

/** The actions a handler may perform on `resource` (a resolved reference, as in the template). */
export function actionsOn(statements: readonly Statement[], resource: unknown): string[] {
  const wanted = JSON.stringify(resource);
  return statements
    .filter((s) => s.Effect === 'Allow' && s.Resource.some((r) => JSON.stringify(r) === wanted))
    .flatMap((s) => s.Action)
    .sort();
}
