import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A UDP port free on 127.0.0.1 now (bound and released; the OS will not hand it out again at once). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** What radclient received: the packet type and its attributes as radclient prints them, or no reply. */
export interface RadReply {
  readonly code: 'Access-Accept' | 'Access-Reject' | 'Access-Challenge' | 'none';
  readonly attributes: Record<string, string>;
  readonly output: string;
}

/** radclient's text for a value: strings quoted, octets as 0x…. */
export const quoted = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function run(command: string, args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/**
 * One Access-Request through FreeRADIUS's radclient, the independent client. `attributes` are
 * radclient's `Name = value` pairs; `Message-Authenticator = 0x00` makes radclient sign the
 * request (RFC 3579), and radclient checks the reply's authenticators and Message-Authenticator.
 */
export async function radclient(
  port: number,
  secret: string,
  attributes: string[],
  options: { timeoutSeconds?: number; retries?: number } = {},
): Promise<RadReply> {
  const { stdout, stderr } = await run(
    'radclient',
    ['-x', '-r', String(options.retries ?? 1), '-t', String(options.timeoutSeconds ?? 3), `127.0.0.1:${port}`, 'auth', secret],
    `${attributes.join(', ')}\n`,
  );
  const output = `${stdout}\n${stderr}`;
  const received = /^Received (Access-\w+) Id \d+[^\n]*\n((?:\t[^\n]*\n?)*)/m.exec(stdout);
  if (!received) return { code: 'none', attributes: {}, output };
  const found: Record<string, string> = {};
  for (const line of (received[2] ?? '').split('\n')) {
    const pair = /^\t([\w-]+) = (.*)$/.exec(line);
    if (pair) found[pair[1] as string] = (pair[2] as string).replace(/^"(.*)"$/, '$1');
  }
  return { code: received[1] as RadReply['code'], attributes: found, output };
}

/** A Status-Server probe (RFC 5997), as gateways send to see a server is alive; radclient signs it. */
export async function radclientStatus(port: number, secret: string): Promise<{ stdout: string }> {
  const { stdout } = await run('radclient', ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port}`, 'status', secret], 'Message-Authenticator = 0x00\n');
  return { stdout };
}

/** Many Access-Requests from one file, `parallel` at a time (radclient -p), with radclient's summary. */
export async function radclientFile(port: number, secret: string, requests: string[][], parallel: number): Promise<{ output: string; stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'radclient-'));
  try {
    const file = join(dir, 'requests');
    writeFileSync(file, requests.map((r) => r.join(', ')).join('\n\n') + '\n');
    const { stdout, stderr } = await run('radclient', ['-x', '-s', '-p', String(parallel), '-r', '3', '-t', '10', '-f', file, `127.0.0.1:${port}`, 'auth', secret], '');
    return { output: `${stdout}\n${stderr}`, stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One reply of a radclientFile run: its packet type, the User-Name of the request it answers, its Reply-Message. */
export interface FileReply {
  readonly code: string;
  readonly user: string;
  readonly message: string;
}

/**
 * The replies in radclientFile's output, each matched to its request: radclient -x prints each
 * request sent and each reply with its Id; an Id is not reused while its request is in flight, so
 * each reply belongs to the latest request sent with its Id.
 */
export function fileReplies(stdout: string): FileReply[] {
  const sentBy = new Map<string, string>();
  const replies: FileReply[] = [];
  for (const block of stdout.split(/\n(?=Sent|Received|\S)/)) {
    const sent = /^Sent Access-Request Id (\d+)[^\n]*\n[\s\S]*?User-Name = "([^"]+)"/.exec(block);
    if (sent) sentBy.set(sent[1] as string, sent[2] as string);
    const received = /^Received (Access-\w+) Id (\d+)[^\n]*\n[\s\S]*?Reply-Message = "([^"]*)"/.exec(block);
    if (received) replies.push({ code: received[1] as string, user: sentBy.get(received[2] as string) ?? '?', message: received[3] as string });
  }
  return replies;
}

/** The requests radclient's summary (-s) counts as lost (no answer after its retries), or undefined without a summary. */
export const lostOf = (stdout: string): number | undefined => {
  const lost = /Lost\s*:\s*(\d+)/.exec(stdout)?.[1];
  return lost === undefined ? undefined : Number(lost);
};

/** A real FreeRADIUS, the customer's existing server: PAP against a users file, replies signed with a Message-Authenticator. */
export class FreeRadius {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    readonly secret: string,
  ) {}

  /** `users`: user name → password; `replies`: user name → the reply items of its Access-Accept (users-file syntax). */
  static async start(users: Record<string, string>, replies: Record<string, string> = {}): Promise<FreeRadius> {
    const dir = mkdtempSync(join(tmpdir(), 'freeradius-'));
    const port = await freeUdpPort();
    const secret = 'upstream-shared-secret-0123';
    writeFileSync(join(dir, 'users'), Object.entries(users)
        .map(([name, password]) => `${name} Cleartext-Password := ${quoted(password)}\n${replies[name] ? `\t${replies[name]}\n` : ''}`)
        .join(''));
    writeFileSync(
      join(dir, 'radiusd.conf'),
      `prefix = /usr
raddbdir = ${dir}
logdir = ${dir}
run_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/radiusd.pid
name = freeradius
max_request_time = 5
cleanup_delay = 2
max_requests = 16384
hostname_lookups = no
log {
  destination = stdout
}
security {
  allow_core_dumps = no
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 4
}
client tessera {
  ipaddr = 127.0.0.1
  secret = ${secret}
  # 3.2.1 predates the BlastRADIUS defaults: ask for it.
  require_message_authenticator = yes
}
modules {
  pap {
  }
  files {
    filename = ${dir}/users
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
  # Sign every reply (RFC 3579), as FreeRADIUS does by default from 3.2.5 on.
  post-auth {
    update reply {
      &Message-Authenticator := 0x00
    }
    Post-Auth-Type REJECT {
      update reply {
        &Message-Authenticator := 0x00
      }
    }
  }
}
`,
    );
    const child = spawn('freeradius', ['-f', '-l', 'stdout', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d.toString('utf8');
        if (output.includes('Ready to process requests')) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`freeradius exited (${code}): ${output}`)));
    });
    child.removeAllListeners('exit');
    return new FreeRadius(child, dir, port, secret);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
