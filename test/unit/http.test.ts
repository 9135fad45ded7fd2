import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import * as errors from '../../shared/domain/errors';
import {
  ChallengeExpiredError,
  ChallengeFinishedError,
  ChallengeLockedError,
  CountryNotAllowedError,
  DeliveryFailedError,
  DomainError,
  ForbiddenScopeError,
  IdempotencyConflictError,
  MethodUnavailableError,
  MfaNotEnabledError,
  NotFoundError,
  PayloadTooLargeError,
  PhoneNotAllowedError,
  ProviderConflictError,
  ProviderRequiredError,
  RegistrationRequiredError,
  ResendRefusedError,
  RetryLaterError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  UserBlockedError,
  ValidationError,
  WrongCodeError,
} from '../../shared/domain/errors';
import { httpHandler, type HandlerLogger } from '../../shared/http/handler';
import { localContext } from '../../infra/local/context';
import { toProblem } from '../../shared/http/problem';
import { parseJsonBody, validate } from '../../shared/http/request';
import { MAX_JSON_BODY_BYTES } from '../../shared/rules';
import { challengeIdSchema, createChallengeBody, emptyBody } from '../../shared/schemas';
import { SilentLog } from '../support/fakes';

type Case = readonly [DomainError, number, Record<string, string>?];

/** Every domain error, with the status it must map to (R29). A new error class fails the first test until added here. */
const CASES: Record<string, Case> = {
  ValidationError: [new ValidationError('bad', [{ pointer: '/userId', detail: 'is required' }]), 400],
  UnauthenticatedError: [new UnauthenticatedError('no key'), 401, { 'www-authenticate': 'Bearer' }],
  ForbiddenScopeError: [new ForbiddenScopeError('wrong scope'), 403],
  MfaNotEnabledError: [new MfaNotEnabledError('off'), 403],
  RegistrationRequiredError: [new RegistrationRequiredError('register', { reason: 'nothing_registered' }), 403],
  UserBlockedError: [new UserBlockedError('blocked', { reason: 'lost phone' }), 403],
  CountryNotAllowedError: [new CountryNotAllowedError('not there', { country: 'FR' }), 403],
  NotFoundError: [new NotFoundError('none'), 404],
  IdempotencyConflictError: [new IdempotencyConflictError('reused'), 409],
  ChallengeFinishedError: [new ChallengeFinishedError('done'), 409],
  ResendRefusedError: [new ResendRefusedError('no more'), 409],
  ProviderRequiredError: [new ProviderRequiredError('no provider'), 409],
  ProviderConflictError: [new ProviderConflictError('billing model', { billingModel: 'per_user' }), 409],
  ChallengeExpiredError: [new ChallengeExpiredError('gone'), 410],
  PayloadTooLargeError: [new PayloadTooLargeError('big'), 413],
  UnsupportedMediaTypeError: [new UnsupportedMediaTypeError('xml'), 415],
  WrongCodeError: [new WrongCodeError('wrong', { attemptsRemaining: 3 }), 422],
  MethodUnavailableError: [new MethodUnavailableError('voice'), 422],
  PhoneNotAllowedError: [new PhoneNotAllowedError('voip', { errors: [{ pointer: '/phones/primary', detail: 'is a voip number' }] }), 422],
  ChallengeLockedError: [new ChallengeLockedError('locked'), 423],
  RetryLaterError: [new RetryLaterError('wait', 17), 429, { 'retry-after': '17' }],
  DeliveryFailedError: [new DeliveryFailedError('undelivered', { nextMethods: ['voice'] }), 503],
  AppPasswordsDisabledError: [new errors.AppPasswordsDisabledError('off'), 403],
  ConflictError: [new errors.ConflictError('exists'), 409],
  PushDeviceNotActivatedError: [new errors.PushDeviceNotActivatedError('Authentication request is not for an activated account'), 403],
  ServiceUnavailableError: [new errors.ServiceUnavailableError('busy', 1), 503, { 'retry-after': '1' }],
  PasskeysNotConfiguredError: [new errors.PasskeysNotConfiguredError('no policy'), 409],
  StepUpRequiredError: [new errors.StepUpRequiredError('step up', { reason: 'step_up_required' }), 403],
  PasskeyLimitError: [new errors.PasskeyLimitError('ten', { max: 10 }), 409],
  PasskeyNotAcceptedError: [new errors.PasskeyNotAcceptedError('not this passkey', { reason: 'credential_rejected', attemptsRemaining: 4 }), 422],
  PhishingResistantOnlyError: [new errors.PhishingResistantOnlyError('passkeys only', { method: 'sms' }), 403],
  PasskeyRejectedError: [new errors.PasskeyRejectedError('wrong origin'), 422],
  RememberedDevicesDisabledError: [new errors.RememberedDevicesDisabledError('off'), 409],
  DeviceNotRememberedError: [new errors.DeviceNotRememberedError('used', { reason: 'already_used' }), 409],
};

const body = (result: { body?: string }): Record<string, unknown> => JSON.parse(result.body ?? 'null') as Record<string, unknown>;

describe('R29 domain errors become problem+json', () => {
  it('has a case here for every DomainError subclass', () => {
    const classes = Object.entries(errors)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof DomainError)
      .map(([name]) => name)
      .sort();
    expect(classes).toEqual(Object.keys(CASES).sort());
  });

  it.each(Object.entries(CASES))('maps %s to its status', (_name, [error, status, headers]) => {
    const result = toProblem(error, '/v1/challenges/ch_1');
    expect(result.statusCode).toBe(status);
    expect(result.headers).toMatchObject({ 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers });
    expect(body(result)).toEqual({
      ...error.details,
      type: `urn:tessera:problem:${error.code}`,
      title: expect.any(String),
      status,
      detail: error.message,
      instance: '/v1/challenges/ch_1',
    });
  });

  it('carries the details the caller acts on', () => {
    expect(body(toProblem(new WrongCodeError('wrong', { attemptsRemaining: 3 })))).toMatchObject({ attemptsRemaining: 3 });
    expect(body(toProblem(new RetryLaterError('wait', 17)))).toMatchObject({ retryAfter: 17 });
    expect(body(toProblem(new DeliveryFailedError('x', { nextMethods: ['voice'] })))).toMatchObject({ nextMethods: ['voice'] });
    expect(body(toProblem(new ValidationError('bad', [{ pointer: '/a', detail: 'd' }])))).toMatchObject({
      errors: [{ pointer: '/a', detail: 'd' }],
    });
  });

  it('does not let details override the standard members', () => {
    const result = toProblem(new WrongCodeError('wrong', { status: 200, type: 'about:blank', title: 'OK' }));
    expect(result.statusCode).toBe(422);
    expect(body(result)).toMatchObject({ status: 422, type: 'urn:tessera:problem:wrong-code', title: 'Wrong code' });
  });

  it('answers an unknown error with a generic 500 that leaks nothing', () => {
    const result = toProblem(new Error('connect ECONNREFUSED 10.0.0.12:8000 password=hunter2'), '/v1/challenges');
    expect(result.statusCode).toBe(500);
    expect(result.headers).toMatchObject({ 'content-type': 'application/problem+json' });
    expect(result.body).not.toMatch(/ECONNREFUSED|hunter2|10\.0\.0\.12/);
    expect(body(result)).toEqual({
      type: 'urn:tessera:problem:internal',
      title: 'Internal error',
      status: 500,
      detail: expect.any(String),
      instance: '/v1/challenges',
    });
  });

  it('answers thrown non-errors and unmapped domain errors with the same 500', () => {
    class NewError extends DomainError {
      readonly code = 'new-error';
    }
    for (const thrown of ['a string', undefined, { message: 'object' }, new NewError('secret detail')]) {
      const result = toProblem(thrown);
      expect(result.statusCode).toBe(500);
      expect(result.body).not.toContain('secret detail');
    }
  });
});

function event(options: { body?: string; contentType?: string; base64?: boolean } = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /v1/challenges',
    rawPath: '/v1/challenges',
    rawQueryString: '',
    headers: options.contentType === undefined ? {} : { 'content-type': options.contentType },
    isBase64Encoded: options.base64 ?? false,
    ...(options.body === undefined ? {} : { body: options.body }),
    requestContext: { http: { method: 'POST', path: '/v1/challenges' } },
  } as unknown as APIGatewayProxyEventV2;
}

const json = (body: string) => event({ body, contentType: 'application/json' });

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('R29 parseJsonBody', () => {
  it('parses a valid body', () => {
    const parsed = parseJsonBody(event({ body: '{"userId":"alice","method":"sms"}', contentType: 'application/json; charset=utf-8' }), createChallengeBody);
    expect(parsed).toEqual({ userId: 'alice', method: 'sms' });
  });

  it('parses a base64-encoded body', () => {
    const body = Buffer.from('{"userId":"alice"}').toString('base64');
    expect(parseJsonBody(event({ body, contentType: 'application/json', base64: true }), createChallengeBody)).toEqual({ userId: 'alice' });
  });

  it('refuses text/plain with 415', () => {
    const error = thrownBy(() => parseJsonBody(event({ body: '{"userId":"alice"}', contentType: 'text/plain' }), createChallengeBody));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(toProblem(error).statusCode).toBe(415);
  });

  it('refuses a body without a content type with 415', () => {
    const error = thrownBy(() => parseJsonBody(event({ body: '{"userId":"alice"}' }), createChallengeBody));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
  });

  it('refuses a body over 64 KiB with 413, and accepts one of exactly 64 KiB', () => {
    const schema = z.strictObject({ pad: z.string() });
    const exact = `{"pad":"${'a'.repeat(MAX_JSON_BODY_BYTES - 10)}"}`;
    expect(Buffer.byteLength(exact)).toBe(MAX_JSON_BODY_BYTES);
    expect(parseJsonBody(json(exact), schema).pad).toHaveLength(MAX_JSON_BODY_BYTES - 10);
    const over = `{"pad":"${'a'.repeat(MAX_JSON_BODY_BYTES - 9)}"}`;
    const error = thrownBy(() => parseJsonBody(json(over), schema));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(toProblem(error).statusCode).toBe(413);
  });

  it('counts bytes, not characters, against the limit', () => {
    const schema = z.strictObject({ pad: z.string() });
    const multibyte = `{"pad":"${'é'.repeat(MAX_JSON_BODY_BYTES / 2)}"}`;
    expect(() => parseJsonBody(json(multibyte), schema)).toThrow(PayloadTooLargeError);
  });

  it.each([
    ['truncated JSON', '{"userId":'],
    ['trailing garbage', '{"userId":"alice"} x'],
    ['single quotes', "{'userId':'alice'}"],
  ])('refuses %s with 400', (_name, body) => {
    const error = thrownBy(() => parseJsonBody(json(body), createChallengeBody));
    expect(error).toBeInstanceOf(ValidationError);
    expect(toProblem(error).statusCode).toBe(400);
  });

  it('refuses invalid UTF-8 with 400', () => {
    const bytes = Buffer.concat([Buffer.from('{"userId":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const error = thrownBy(() =>
      parseJsonBody(event({ body: bytes.toString('base64'), contentType: 'application/json', base64: true }), createChallengeBody),
    );
    expect(error).toBeInstanceOf(ValidationError);
  });

  it('refuses unknown fields with 400, naming the field', () => {
    const error = thrownBy(() => parseJsonBody(json('{"userId":"alice","tenantId":"tn_b"}'), createChallengeBody));
    expect(error).toBeInstanceOf(ValidationError);
    expect(JSON.stringify((error as ValidationError).errors)).toContain('tenantId');
  });

  it('refuses wrong types with a pointer to each field', () => {
    const error = thrownBy(() => parseJsonBody(json('{"userId":42,"method":"fax","context":{"clientIp":"nope"}}'), createChallengeBody));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.pointer).sort()).toEqual(['/context/clientIp', '/method', '/userId']);
  });

  it('refuses a __proto__ key and pollutes nothing', () => {
    const error = thrownBy(() => parseJsonBody(json('{"userId":"alice","__proto__":{"polluted":true}}'), createChallengeBody));
    expect(error).toBeInstanceOf(ValidationError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a nested __proto__ key', () => {
    const error = thrownBy(() =>
      parseJsonBody(json('{"userId":"alice","context":{"__proto__":{"polluted":true}}}'), createChallengeBody),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('treats a missing body as absent: fine where no body is needed, 400 where one is', () => {
    expect(parseJsonBody(event(), emptyBody)).toBeUndefined();
    expect(parseJsonBody(json('{}'), emptyBody)).toEqual({});
    expect(() => parseJsonBody(event(), createChallengeBody)).toThrow(ValidationError);
  });

  it('checks path parameters with the same 400', () => {
    expect(() => validate(challengeIdSchema, '../../etc/passwd', 'path parameter "challengeId"')).toThrow(ValidationError);
    expect(validate(challengeIdSchema, 'ch_AAAAAAAAAAAAAAAAAAAAAA', 'x')).toBe('ch_AAAAAAAAAAAAAAAAAAAAAA');
  });
});

class RecordingHandlerLog extends SilentLog implements HandlerLogger {
  readonly keys: Record<string, unknown>[] = [];
  resets = 0;

  appendKeys(keys: Record<string, unknown>): void {
    this.keys.push(keys);
  }

  resetKeys(): void {
    this.resets += 1;
  }
}

describe('R29 httpHandler', () => {
  it('answers an error thrown by the domain as its problem, with the path as instance', async () => {
    const log = new RecordingHandlerLog();
    const handler = httpHandler({ authenticate: async () => ({ tenantId: 'tn_a' }), log }, async () => {
      throw new ChallengeLockedError('locked');
    });
    const result = await handler(json('{}'), localContext('admin-users'));
    expect(result.statusCode).toBe(423);
    expect(JSON.parse(result.body ?? '{}')).toMatchObject({ instance: '/v1/challenges' });
    expect(log.keys).toEqual([{ tenantId: 'tn_a' }]);
    expect(log.resets).toBe(1);
  });

  it('answers a crash with a generic 500, logging the cause but not answering it', async () => {
    const log = new RecordingHandlerLog();
    const handler = httpHandler({ authenticate: async () => undefined, log }, async () => {
      throw new TypeError('Cannot read properties of undefined (reading "secret")');
    });
    const result = await handler(json('{}'), localContext('admin-users'));
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('secret');
    expect(log.entries.filter((e) => e.level === 'error')).toHaveLength(1);
  });

  it('answers a failed authentication with 401 and never runs the domain call', async () => {
    const log = new RecordingHandlerLog();
    const run = jest.fn();
    const handler = httpHandler(
      {
        authenticate: async () => {
          throw new UnauthenticatedError('no key');
        },
        log,
      },
      run,
    );
    const result = await handler(json('{}'), localContext('admin-users'));
    expect(result.statusCode).toBe(401);
    expect(result.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
    expect(run).not.toHaveBeenCalled();
  });

  it('answers success as JSON with no-store', async () => {
    const handler = httpHandler({ authenticate: async () => undefined, log: new RecordingHandlerLog() }, async (req) => ({
      status: 201,
      body: req.json(createChallengeBody),
    }));
    const result = await handler(json('{"userId":"alice"}'), localContext('admin-users'));
    expect(result).toEqual({
      statusCode: 201,
      headers: { 'cache-control': 'no-store', 'content-type': 'application/json' },
      body: '{"userId":"alice"}',
    });
  });
});
