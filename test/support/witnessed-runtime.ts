import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoLocal, type DynamoLocal } from '../../infra/local/dynamo';
import { TestApi } from './runtime';

/**
 * A local runtime whose every trace a secret could leave is open to search (R28): its own
 * DynamoDB Local keeping its data in files, and everything the runtime writes to stdout and
 * stderr (its log lines). For the tests that look for codes, passes and tokens where none may be.
 */
export class WitnessedRuntime {
  private stopped = false;

  private constructor(
    readonly api: TestApi,
    private readonly dynamo: DynamoLocal,
    private readonly dataDir: string,
    private readonly written: string[],
    private readonly spies: jest.SpyInstance[],
  ) {}

  static async start(options: Omit<Parameters<typeof TestApi.start>[0] & object, 'dynamoEndpoint' | 'logLevel'> = {}): Promise<WitnessedRuntime> {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-ddb-'));
    const dynamo = await startDynamoLocal({ dataDir });
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    };
    const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
    const api = await TestApi.start({ ...options, dynamoEndpoint: dynamo.endpoint, logLevel: 'DEBUG' });
    return new WitnessedRuntime(api, dynamo, dataDir, written, spies);
  }

  /** The service log so far. */
  log(): string {
    return this.written.join('');
  }

  /**
   * Stops the runtime and DynamoDB Local (so that it has written everything to its files) and
   * returns every file under its data folder, as bytes. The runtime is gone afterwards: for a
   * file's last test.
   */
  async storedFiles(): Promise<Buffer[]> {
    await this.stop();
    const files = (dir: string): Buffer[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : [readFileSync(path)];
      });
    return files(this.dataDir);
  }

  async close(): Promise<void> {
    await this.stop();
    for (const spy of this.spies) spy.mockRestore();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.api.stop();
    await this.dynamo.stop();
  }
}
