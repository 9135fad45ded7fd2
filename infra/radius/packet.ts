import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * RADIUS packets (RFC 2865) with the Message-Authenticator of RFC 3579, read and written here
 * byte for byte: the checks that decide whether a packet is trusted compare bytes, in constant
 * time, over exactly what arrived.
 */

export const CODE = {
  accessRequest: 1,
  accessAccept: 2,
  accessReject: 3,
  accessChallenge: 11,
  statusServer: 12,
} as const;

export const ATTR = {
  userName: 1,
  userPassword: 2,
  chapPassword: 3,
  nasIpAddress: 4,
  replyMessage: 18,
  state: 24,
  vendorSpecific: 26,
  callingStationId: 31,
  nasIdentifier: 32,
  proxyState: 33,
  chapChallenge: 60,
  eapMessage: 79,
  messageAuthenticator: 80,
} as const;

const HEADER = 20;
const MAX_PACKET = 4096;
const MA_LENGTH = 16;
/** Microsoft's vendor id, whose attributes carry MS-CHAP and MS-CHAPv2 (RFC 2548). */
const MICROSOFT = 311;
/** RFC 2548: MS-CHAP-Response (1), MS-CHAP-Challenge (11), MS-CHAP2-Response (25); other Microsoft attributes are no authentication. */
const MS_CHAP_TYPES = new Set([1, 11, 25]);

/** The vendor types inside a Vendor-Specific attribute of `vendor` (RFC 2865 §5.26's suggested format). */
function vendorTypes(value: Buffer, vendor: number): number[] {
  if (value.length < 6 || value.readUInt32BE(0) !== vendor) return [];
  const types: number[] = [];
  for (let offset = 4; offset + 2 <= value.length; ) {
    const size = value[offset + 1] as number;
    if (size < 2) break;
    types.push(value[offset] as number);
    offset += size;
  }
  return types;
}

export interface Attribute {
  readonly type: number;
  readonly value: Buffer;
}

export interface Packet {
  readonly code: number;
  readonly identifier: number;
  readonly authenticator: Buffer;
  readonly attributes: readonly Attribute[];
  /** The packet's bytes, up to its length field (octets past it are padding, RFC 2865 §3). */
  readonly raw: Buffer;
}

/** Why a packet is not taken: each is dropped and counted. */
export type Refusal = 'malformed' | 'missing_message_authenticator' | 'bad_message_authenticator';

/** Reads a packet's framing and attributes; undefined when they do not add up. */
export function parsePacket(data: Buffer): Packet | undefined {
  if (data.length < HEADER) return undefined;
  const length = data.readUInt16BE(2);
  if (length < HEADER || length > MAX_PACKET || length > data.length) return undefined;
  const raw = data.subarray(0, length);
  const attributes: Attribute[] = [];
  for (let offset = HEADER; offset < length; ) {
    if (offset + 2 > length) return undefined;
    const type = raw[offset] as number;
    const size = raw[offset + 1] as number;
    if (size < 2 || offset + size > length) return undefined;
    attributes.push({ type, value: raw.subarray(offset + 2, offset + size) });
    offset += size;
  }
  return { code: raw[0] as number, identifier: raw[1] as number, authenticator: raw.subarray(4, HEADER), attributes, raw };
}

function messageAuthenticatorOffset(packet: Packet): number | undefined {
  let offset = HEADER;
  for (const attribute of packet.attributes) {
    if (attribute.type === ATTR.messageAuthenticator) return offset;
    offset += attribute.value.length + 2;
  }
  return undefined;
}

/**
 * RFC 3579 §3.2: HMAC-MD5 keyed with the shared secret over the packet with the
 * Message-Authenticator's value zeroed; `authenticator`, when given, takes the place of the
 * packet's own (a reply is signed over the request's authenticator).
 */
function messageAuthenticatorOf(raw: Buffer, offset: number, secret: string, authenticator?: Buffer): Buffer {
  const copy = Buffer.from(raw);
  copy.fill(0, offset + 2, offset + 2 + MA_LENGTH);
  if (authenticator) authenticator.copy(copy, 4);
  return createHmac('md5', secret).update(copy).digest();
}

/**
 * The BlastRADIUS rule (CVE-2024-3596): an Access-Request is taken only with exactly one
 * Message-Authenticator of 16 octets that matches.
 */
export function checkRequest(packet: Packet, secret: string): Refusal | undefined {
  const found = packet.attributes.filter((a) => a.type === ATTR.messageAuthenticator);
  if (found.length === 0) return 'missing_message_authenticator';
  const [attribute] = found;
  if (found.length > 1 || attribute?.value.length !== MA_LENGTH) return 'malformed';
  const expected = messageAuthenticatorOf(packet.raw, messageAuthenticatorOffset(packet) as number, secret);
  return timingSafeEqual(expected, attribute.value) ? undefined : 'bad_message_authenticator';
}

/** The first attribute of a type, as text (UTF-8) or bytes. */
export function text(packet: Packet, type: number): string | undefined {
  return packet.attributes.find((a) => a.type === type)?.value.toString('utf8');
}

export function octets(packet: Packet, type: number): Buffer | undefined {
  return packet.attributes.find((a) => a.type === type)?.value;
}

/** NAS-IP-Address as dotted quad. */
export function nasIp(packet: Packet): string | undefined {
  const value = octets(packet, ATTR.nasIpAddress);
  return value?.length === 4 ? [...value].join('.') : undefined;
}

/** RFC 2865 §5.2: the password is XORed with MD5(secret + previous block), the first block with the authenticator. */
export function decryptPassword(hidden: Buffer, secret: string, authenticator: Buffer): string | undefined {
  if (hidden.length === 0 || hidden.length % 16 !== 0 || hidden.length > 128) return undefined;
  const out = Buffer.alloc(hidden.length);
  let previous = authenticator;
  for (let i = 0; i < hidden.length; i += 16) {
    const key = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = (hidden[i + j] as number) ^ (key[j] as number);
    previous = hidden.subarray(i, i + 16);
  }
  const end = out.indexOf(0);
  return out.subarray(0, end === -1 ? out.length : end).toString('utf8');
}

/**
 * The CHAP, MS-CHAP and EAP attributes a PAP-only server cannot check. Only MS-CHAP's own
 * Microsoft attributes count, and a request with a User-Password is PAP whatever Microsoft
 * attributes ride along.
 */
export function otherAuthentication(packet: Packet): 'chap' | 'mschap' | 'eap' | undefined {
  const pap = packet.attributes.some((a) => a.type === ATTR.userPassword);
  for (const a of packet.attributes) {
    if (a.type === ATTR.chapPassword || a.type === ATTR.chapChallenge) return 'chap';
    if (a.type === ATTR.eapMessage) return 'eap';
    if (!pap && a.type === ATTR.vendorSpecific && vendorTypes(a.value, MICROSOFT).some((t) => MS_CHAP_TYPES.has(t))) return 'mschap';
  }
  return undefined;
}

/** Encodes attributes, splitting nothing: every value must fit one attribute (253 octets). */
function encodeAttributes(attributes: readonly Attribute[]): Buffer {
  return Buffer.concat(
    attributes.map((a) => {
      if (a.value.length > 253) throw new Error(`attribute ${a.type} is too long`);
      return Buffer.concat([Buffer.from([a.type, a.value.length + 2]), a.value]);
    }),
  );
}

/**
 * A reply to `request`: Message-Authenticator first (as the BlastRADIUS advisories ask, so a
 * forged prefix cannot precede it), then the attributes, then the request's Proxy-State
 * attributes in order (RFC 2865 §5.33). Signed over the request's authenticator.
 */
export function encodeReply(request: Packet, code: number, attributes: readonly Attribute[], secret: string): Buffer {
  const proxyStates = request.attributes.filter((a) => a.type === ATTR.proxyState);
  const body = encodeAttributes([{ type: ATTR.messageAuthenticator, value: Buffer.alloc(MA_LENGTH) }, ...attributes, ...proxyStates]);
  const packet = Buffer.alloc(HEADER + body.length);
  packet[0] = code;
  packet[1] = request.identifier;
  packet.writeUInt16BE(packet.length, 2);
  request.authenticator.copy(packet, 4);
  body.copy(packet, HEADER);
  messageAuthenticatorOf(packet, HEADER, secret).copy(packet, HEADER + 2);
  // Response Authenticator: MD5(code + id + length + request authenticator + attributes + secret).
  createHash('md5').update(packet).update(secret).digest().copy(packet, 4);
  return packet;
}

/**
 * Checks a reply from an upstream server against our request: its Response Authenticator, and
 * a Message-Authenticator that must be there and match (we sent one, RFC 3579 §3.2).
 */
export function checkReply(reply: Packet, request: Packet, secret: string): boolean {
  const copy = Buffer.from(reply.raw);
  request.authenticator.copy(copy, 4);
  const expected = createHash('md5').update(copy).update(secret).digest();
  if (!timingSafeEqual(expected, reply.authenticator)) return false;
  const found = reply.attributes.filter((a) => a.type === ATTR.messageAuthenticator);
  const [attribute] = found;
  if (found.length !== 1 || attribute?.value.length !== MA_LENGTH) return false;
  const ma = messageAuthenticatorOf(reply.raw, messageAuthenticatorOffset(reply) as number, secret, request.authenticator);
  return timingSafeEqual(ma, attribute.value);
}

export const textAttribute = (type: number, value: string): Attribute => ({ type, value: Buffer.from(value, 'utf8') });
