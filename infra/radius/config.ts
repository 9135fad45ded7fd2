import { BlockList, isIP } from 'node:net';
import * as z from 'zod';

/**
 * The RADIUS front end's configuration: one JSON file, checked whole at start (nothing starts
 * half-configured). Any secret may be written as `env:NAME` to take it from the environment.
 */

const ENV_PREFIX = 'env:';

/** A secret written in the file, or `env:NAME`; the environment is read when the file is checked. */
const secret = (min: number) =>
  z
    .string()
    .min(1)
    .transform((value, ctx) => {
      if (!value.startsWith(ENV_PREFIX)) return value;
      const name = value.slice(ENV_PREFIX.length);
      const found = process.env[name];
      if (found === undefined || found === '') {
        ctx.addIssue({ code: 'custom', message: `environment variable ${name} is not set` });
        return z.NEVER;
      }
      return found;
    })
    .pipe(z.string().min(min, `must be at least ${min} characters`).max(128, 'must be at most 128 characters'));

/** `localhost`, 127.0.0.0/8 or ::1: the API key may go there over plain HTTP (the local runtime). */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** An address (`192.0.2.7`, `2001:db8::1`) or a network (`10.0.0.0/24`, `2001:db8::/64`). */
const addressOrNetwork = z.string().refine((value) => {
  const [address, bits, extra] = value.split('/');
  const family = isIP(address ?? '');
  if (!family || extra !== undefined) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
}, 'must be an IPv4 or IPv6 address, or a network in CIDR form');

const port = z.number().int().min(1).max(65535);

/** The authorization attributes an upstream Access-Accept may carry into ours, by name (or by number, 1–255). */
export const REPLY_ATTRIBUTES = new Map([
  ['Framed-IP-Address', 8],
  ['Filter-Id', 11],
  ['Class', 25],
  ['Vendor-Specific', 26],
  ['Session-Timeout', 27],
  ['Idle-Timeout', 28],
]);
/** Never copied: the request's own (User-Name, passwords), the reply's framing (Reply-Message, State, Proxy-State, EAP, Message-Authenticator). */
const NEVER_COPIED = new Set([1, 2, 3, 18, 24, 33, 79, 80]);
const replyAttribute = z.union([z.string(), z.number().int().min(1).max(255)]).transform((value, ctx) => {
  const type = typeof value === 'number' ? value : REPLY_ATTRIBUTES.get(value);
  if (type === undefined) {
    ctx.addIssue({ code: 'custom', message: `unknown attribute "${String(value)}": use ${[...REPLY_ATTRIBUTES.keys()].join(', ')} or a number` });
    return z.NEVER;
  }
  if (NEVER_COPIED.has(type)) {
    ctx.addIssue({ code: 'custom', message: `attribute ${type} is never copied from the upstream reply` });
    return z.NEVER;
  }
  return type;
});

const upstream = z.strictObject({
  kind: z.literal('upstream'),
  host: z.string().min(1),
  port: port.default(1812),
  secret: secret(16),
  /** How long to wait for each try, and how many tries in all. */
  timeoutMs: z.number().int().min(100).max(30_000).default(3000),
  tries: z.number().int().min(1).max(5).default(2),
  /** The attributes of the upstream Access-Accept carried into the final Access-Accept (group and session authorization). */
  replyAttributes: z.array(replyAttribute).max(32).default(() => [...REPLY_ATTRIBUTES.values()]),
});

const none = z.strictObject({ kind: z.literal('none') });

export const SECOND_FACTOR_MODES = ['auto', 'challenge', 'append'] as const;
export type SecondFactorMode = (typeof SECOND_FACTOR_MODES)[number];

const client = z.strictObject({
  /** Shown in the auth log and on the push prompt as the gateway that asked. */
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._ -]+$/, 'may contain letters, digits, space and . _ - only'),
  /** RFC 2865 asks for at least 16 octets of shared secret. */
  secret: secret(16),
  addresses: z.array(addressOrNetwork).min(1),
  primary: z.discriminatedUnion('kind', [upstream, none]),
  secondFactor: z.enum(SECOND_FACTOR_MODES),
  /** Must be true for `0.0.0.0/0` or `::/0` in `addresses`: every address on the internet would be this client. */
  allowAnySource: z.boolean().default(false),
  /** How long a push or call may take before the gateway's own timeout (seconds; gateways often wait 30 to 60). */
  waitSeconds: z.number().int().min(5).max(120).default(25),
}).superRefine((c, ctx) => {
  c.addresses.forEach((entry, i) => {
    if (!c.allowAnySource && entry.includes('/') && Number(entry.split('/')[1]) === 0) {
      ctx.addIssue({ code: 'custom', path: ['addresses', i], message: 'a network of every address: set allowAnySource to true if you mean it' });
    }
  });
});

export const configSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().min(1).default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(1812),
    })
    .default({ host: '0.0.0.0', port: 1812 }),
  tessera: z.strictObject({
    /** Tessera's API, e.g. `https://mfa.example.com`. */
    baseUrl: z.url({ protocol: /^https?$/ }).refine((value) => new URL(value).protocol === 'https:' || isLoopback(new URL(value).hostname), 'must be https:// (http:// only to this host: localhost, 127.0.0.0/8, ::1)'),
    /** An `auth`-scope API key. */
    apiKey: secret(20),
  }),
  /**
   * A TCP port answering `GET /health` with 200 and the counters, for load balancers (a UDP
   * target group is health-checked over TCP or HTTP). Off when absent.
   */
  health: z.strictObject({ host: z.string().min(1).default('0.0.0.0'), port: port }).optional(),
  /** How long a challenge (State) stays open for the user's next answer, seconds. */
  stateTtlSeconds: z.number().int().min(30).max(600).default(180),
  clients: z
    .array(client)
    .min(1)
    .superRefine((clients, ctx) => {
      const names = new Set<string>();
      clients.forEach((c, i) => {
        if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate client name "${c.name}"` });
        names.add(c.name);
      });
    }),
});

export type RadiusConfig = z.output<typeof configSchema>;
export type ClientConfig = RadiusConfig['clients'][number];
export type UpstreamConfig = z.output<typeof upstream>;

/** A configuration that does not hold, with one line per problem (path: message); secrets never appear. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Checks the parsed JSON of a configuration file, reading `env:` secrets from the environment. */
export function parseConfig(input: unknown): RadiusConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(file)'}: ${issue.message}`));
  }
  return result.data;
}

/**
 * Things that hold but may not be meant, for `--check-config`: a client's address or network
 * inside another client's (the first client in the file takes the packet), and clients open to
 * every address.
 */
export function warningsOf(config: RadiusConfig): string[] {
  const warnings: string[] = [];
  const matchers = config.clients.map((c) => ({ client: c, match: clientMatcher([c]) }));
  config.clients.forEach((c, i) => {
    if (c.allowAnySource) warnings.push(`clients.${i} (${c.name}): takes packets from any address (allowAnySource)`);
    // Two CIDR networks overlap exactly when one holds the other's first address.
    const firstOf = (entry: string) => entry.split('/')[0] ?? '';
    for (const entry of c.addresses) {
      const inEntry = clientMatcher([{ ...c, addresses: [entry] }]);
      const earlier = matchers.slice(0, i).find((m) => m.match(firstOf(entry)) || m.client.addresses.some((other) => inEntry(firstOf(other))));
      if (earlier) warnings.push(`clients.${i} (${c.name}): ${entry} overlaps ${earlier.client.name}, which comes first and takes those packets`);
    }
  });
  return warnings;
}

/** The client a packet from `address` belongs to: the first whose addresses contain it. */
export function clientMatcher(clients: readonly ClientConfig[]): (address: string) => ClientConfig | undefined {
  const lists = clients.map((c) => {
    const list = new BlockList();
    for (const entry of c.addresses) {
      const [address = '', bits] = entry.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(bits), type);
    }
    return { client: c, list };
  });
  return (address) => {
    // An IPv4 client reaching a dual-stack socket shows as ::ffff:a.b.c.d.
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const type = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
    return lists.find((l) => l.list.check(plain, type))?.client;
  };
}
