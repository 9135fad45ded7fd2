import { ENV } from '../../shared/config';
import type * as Composition from '../../shared/composition';
import { TABLES } from '../../shared/tables';
import { deployedHandlerEnv } from '../support/aws-env';

/** A runtime whose every adapter is a counted stand-in (the stores only keep what they are given). */
function countedAdapters() {
  const made = (name: string) => jest.fn((..._args: unknown[]) => ({ stub: name, now: () => 0, count: () => undefined }));
  return {
    clock: made('clock'),
    metrics: made('metrics'),
    documentClient: made('documentClient'),
    secretBox: made('secretBox'),
    smsSender: made('smsSender'),
    voiceRollover: made('voiceRollover'),
    pushSender: made('pushSender'),
    phoneClassifier: made('phoneClassifier'),
    exportSink: made('exportSink'),
  };
}

type Adapters = ReturnType<typeof countedAdapters>;

const calls = (adapters: Record<string, jest.Mock>) => Object.fromEntries(Object.entries(adapters).map(([name, fn]) => [name, fn.mock.calls.length]));

/** The composition root as a fresh container loads it, with the given environment (for the tests of one describe). */
function freshRoot(env: Record<string, string | undefined>, aws: Adapters & Record<string, jest.Mock>): () => typeof Composition {
  const saved = { ...process.env };
  let root: typeof Composition | undefined;
  beforeAll(() => {
    Object.assign(process.env, env);
    jest.isolateModules(() => {
      jest.doMock('../../shared/roots/aws', () => aws);
      root = jest.requireActual<typeof Composition>('../../shared/composition');
    });
  });
  afterAll(() => {
    process.env = saved;
  });
  return () => root as typeof Composition;
}

const localEnv = {
  [ENV.runtime]: 'local',
  [ENV.issuer]: 'http://127.0.0.1:3000',
  [ENV.operatorKeySha256]: '0'.repeat(64),
  [ENV.dynamoEndpoint]: 'http://127.0.0.1:8000',
  [ENV.localMasterKey]: Buffer.alloc(32, 1).toString('base64'),
  ...Object.fromEntries(TABLES.map((t) => [t.envVar, `tessera-${t.id}`])),
};

describe('the composition root builds every service lazily, once per container', () => {
  const aws = { ...countedAdapters(), voiceDialer: jest.fn(), taskCallbacks: jest.fn(), chimeVoice: jest.fn() };
  const fresh = freshRoot(deployedHandlerEnv(), aws);

  it('on AWS: loading the root builds nothing; a service is built on first use, from the AWS adapters it needs, and kept', () => {
    const root = fresh();
    expect(Object.values(calls(aws)).every((n) => n === 0)).toBe(true);
    const users = root.userService();
    expect(root.userService()).toBe(users);
    expect(root.tenantService()).toBe(root.tenantService());
    // One client per adapter, shared by every store; nothing the user service does not use.
    expect(calls(aws)).toEqual({
      ...Object.fromEntries(Object.keys(aws).map((name) => [name, 0])),
      clock: 1,
      metrics: 0,
      documentClient: 1,
      secretBox: 1,
      phoneClassifier: 1,
    });
  });
});

describe('the local runtime installs its own adapters into the same root', () => {
  const aws = { ...countedAdapters(), voiceDialer: jest.fn(), taskCallbacks: jest.fn(), chimeVoice: jest.fn() };
  const fresh = freshRoot(localEnv, aws);

  it('refuses to build a service before the local adapters are installed', () => {
    const root = fresh();
    expect(() => root.tenantStore()).toThrow('The local runtime installs its adapters before it loads a handler');
  });

  it('builds from the installed adapters, lazily and once, and never from the AWS ones', () => {
    const root = fresh();
    const local = countedAdapters();
    root.installLocalRuntime(local as unknown as Composition.Runtime<never>);
    expect(calls(local)).toEqual(calls(countedAdapters()));
    const challenges = root.challengeService();
    expect(root.challengeService()).toBe(challenges);
    expect(calls(local)).toMatchObject({ documentClient: 1, secretBox: 1, clock: 1, smsSender: 1, voiceRollover: 1, pushSender: 1, exportSink: 0, phoneClassifier: 0 });
    expect(local.smsSender.mock.calls[0]?.[0]).toMatchObject({ runtime: 'local' });
    expect(Object.values(calls(aws)).every((n) => n === 0)).toBe(true);
  });
});
